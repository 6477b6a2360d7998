/* integer kinds and their encodings */
char c; signed char sc; unsigned char uc; _Bool b;
short s; unsigned short us; int i; unsigned int ui;
long l; unsigned long ul; long long ll; unsigned long long ull;
__int128 i128; unsigned __int128 u128;
