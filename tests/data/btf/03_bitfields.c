struct flags {
	unsigned int a:1, b:3, c:12;
	int neg:5;
	unsigned long long wide:40;
	unsigned char tail;
	unsigned short :0;
	unsigned short after:7;
};
struct flags f;
