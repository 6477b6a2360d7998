int one[10];
char two[3][7];
struct cell { short v[2][2]; } cells[5];
const char *names[3];
long zero_len_holder[1];
