struct msg { unsigned int len; unsigned char data[]; };
struct msg *m;
struct zl { int n; char z[0]; } zl;
