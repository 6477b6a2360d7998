/* Legacy packet loads (BPF_LD | BPF_ABS / BPF_IND) through the LLVM builtins. */
unsigned long long load_byte(void *skb, unsigned long long off) asm("llvm.bpf.load.byte");
unsigned long long load_half(void *skb, unsigned long long off) asm("llvm.bpf.load.half");
unsigned long long load_word(void *skb, unsigned long long off) asm("llvm.bpf.load.word");

__attribute__((section("socket"))) int ld_abs(void *skb)
{
	unsigned long long proto = load_half(skb, 12);
	unsigned long long ihl = load_byte(skb, 14) & 0xf;
	unsigned long long x = load_word(skb, ihl * 4 + 14);
	return (int)(proto + x + load_byte(skb, ihl + 23));
}
