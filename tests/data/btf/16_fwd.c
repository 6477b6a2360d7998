struct opaque;
union opaque_u;
struct holder { struct opaque *o; union opaque_u *u; };
struct holder h;
