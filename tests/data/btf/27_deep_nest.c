struct l3 { int v; };
struct l2 { struct l3 a[2]; union { struct l3 b; struct { int c; union { int d; char e; }; }; }; };
struct l1 { struct l2 x; struct { struct l2 y; struct { struct l3 z; } w; }; };
struct l1 deep;
