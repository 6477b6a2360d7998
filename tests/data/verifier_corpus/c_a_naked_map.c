// intent: accept
// retval: 9
// about: naked C referring to a .maps map (libbpf relocates it)

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} arr SEC(".maps");

SEC("socket")
__attribute__((naked)) int prog(void)
{
	asm volatile(
	"*(u32 *)(r10 - 4) = 1;"
	"r2 = r10;"
	"r2 += -4;"
	"r1 = %[arr] ll;"
	"call %[lookup];"
	"if r0 == 0 goto 1f;"
	"r1 = 9;"
	"*(u64 *)(r0 + 0) = r1;"
	"r0 = *(u64 *)(r0 + 0);"
	"exit;"
"1:"
	"r0 = 0;"
	"exit;"
	:
	: [arr] "i"(&arr), [lookup] "i"(BPF_FUNC_map_lookup_elem)
	: "memory");
}

char LICENSE[] SEC("license") = "GPL";
