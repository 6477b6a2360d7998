/* A dense switch with side effects in each arm. */
void dense(int *p, int x)
{
	switch (x) {
	case 0: p[0] = 1; break;
	case 1: p[1] += 2; break;
	case 2: p[2] -= 3; break;
	case 3: p[3] ^= 4; break;
	case 4: p[4] |= 5; break;
	case 5: p[5] &= 6; break;
	case 6: p[6] *= 7; break;
	case 7: p[7] = p[0]; break;
	default: p[8] = x;
	}
}
