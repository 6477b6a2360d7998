float f; double d; long double ld;
struct fl { float a; double b[2]; } fl;
