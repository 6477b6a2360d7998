// flags: -mcpu=v4
/* Arena pointers: address_space(1) casts become addr_space_cast (BPF_MOV | off 1). */
#define __arena __attribute__((address_space(1)))

long arena(long __arena *p, long *q)
{
	long *generic = (long *)p;
	long __arena *back = (long __arena *)q;
	*back = 5;
	return *generic + *p;
}
