#define KS __attribute__((section(".ksyms")))
extern long kf7(long, long, long, long, long, long, long) KS;
extern long kf8(long, long, long, long, long, long, long, long) KS;
extern char kf9(char, short, int, long, char, short, int, long, unsigned char) KS;
extern void kf10(int, int, int, int, int, int, int, int, int, int) KS;
extern int kf11(void *, void *, void *, void *, void *, void *, void *, void *, void *, void *, void *) KS;
extern unsigned long kf12(int, int, int, int, int, int, int, int, int, int, int, int) KS;
void *tab[] = { &kf7, &kf8, &kf9, &kf10, &kf11, &kf12 };
