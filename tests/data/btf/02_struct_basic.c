struct point { int x, y; };
struct rect { struct point tl, br; const char *name; };
struct rect r;
