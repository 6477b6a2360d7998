const char greeting[] = "hello";
char matrix[2][3][4];
struct str { char name[16]; unsigned char mac[6]; } str;
