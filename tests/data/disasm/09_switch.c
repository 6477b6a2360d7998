/* A sparse switch lowered to a compare tree. */
int sw(int x)
{
	switch (x) {
	case 1: return 10;
	case 7: return 20;
	case 100: return 30;
	case -5: return 40;
	case 1000: return 50;
	case 65536: return 60;
	default: return -1;
	}
}
