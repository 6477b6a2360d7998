/* Field loads and stores of every width through a context-like struct. */
struct ctx {
	unsigned char b;
	unsigned short h;
	unsigned int w;
	unsigned long long d;
	void *ptr;
	unsigned int arr[3];
};

__attribute__((section("socket"))) int ctx_access(struct ctx *c)
{
	if (c->b == 6 && c->h > 0x800)
		c->w = c->arr[2] + (unsigned int)c->d;
	c->d = c->d * 3 + c->h;
	*(unsigned char *)c->ptr = c->b;
	return c->w;
}
