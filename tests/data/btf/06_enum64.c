enum big { SMALL = 1, HUGE = 0xffffffffffULL, TOP = 0xffffffffffffffffULL };
enum sbig { SNEG = -0x100000000LL, SPOS = 0x100000000LL };
enum big b; enum sbig sb;
