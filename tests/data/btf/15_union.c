union u { int i; float f; char bytes[4]; struct { short lo, hi; } parts; };
union u uu;
union u2 { long long a; unsigned int b:3; } u2;
