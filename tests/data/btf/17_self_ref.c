struct list_head { struct list_head *next, *prev; };
struct tree { struct tree *left, *right; struct list_head link; int key; };
struct tree root;
