typedef unsigned int u32;
typedef u32 handle_t;
typedef struct { handle_t h; u32 gen; } ref_t;
typedef ref_t refs_t[4];
typedef const volatile handle_t cv_handle;
refs_t refs; cv_handle cvh;
