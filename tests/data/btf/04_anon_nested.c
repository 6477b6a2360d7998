struct outer {
	int kind;
	union {
		struct { int a, b; };
		struct { long c; short d; } named;
		long raw;
	};
	struct {
		union { char x; unsigned y; };
		int z;
	} inner;
};
struct outer o;
