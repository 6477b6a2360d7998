enum __attribute__((packed)) tiny { T0, T1, T255 = 255 };
enum wide16 { W0 = 0, W1 = 0x10000 };
struct es { enum tiny t; enum wide16 w; } es;
