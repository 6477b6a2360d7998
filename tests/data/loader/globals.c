/* Globals in .data, .bss and .rodata, read and written from a program and a
 * global (non-static) subprogram in .text. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

int counter = 7;                  /* .data */
long total;                       /* .bss */
unsigned char scratch[16];        /* .bss */
const volatile int threshold = 3; /* .rodata */
static const char greeting[] = "hello, globals"; /* .rodata.str or .rodata */

__attribute__((noinline)) int bump(int by)
{
	counter += by;
	total += counter;
	scratch[by & 15] = greeting[by & 7];
	return counter > threshold;
}

SEC("socket")
int use_globals(struct __sk_buff *skb)
{
	return bump(skb->len & 3);
}

char LICENSE[] SEC("license") = "GPL";
