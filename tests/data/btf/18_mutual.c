struct b;
struct a { struct b *pb; int x; };
struct b { struct a *pa; struct a inline_a; };
struct b bb;
