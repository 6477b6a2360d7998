enum color { RED, GREEN = 5, BLUE };
enum signedness { NEG = -3, ZERO = 0, POS = 7 };
enum { ANON_A = 1, ANON_B = 2 } anon_var;
enum color col; enum signedness sg;
