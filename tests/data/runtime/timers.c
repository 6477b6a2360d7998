// SPDX-License-Identifier: GPL-2.0
/* BPF timers in a test run: callbacks fire after the program returns, in virtual-time
 * order, with (map, key, value) as the kernel's bpf_timer_cb passes them.  Expected
 * results: tests/runtime/test_timers.py. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define CLOCK_MONOTONIC 1
#define EBUSY 16
#define EINVAL 22

struct elem {
	struct bpf_timer timer;
	long id;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 3);
	__type(key, int);
	__type(value, struct elem);
} arr SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4);
	__type(key, long);
	__type(value, struct elem);
} hmap SEC(".maps");

long order;          /* ids of the fired callbacks, one decimal digit each */
long keys;           /* keys seen by the callbacks, one digit each */
long fires;
long rearmed;
long init_again;     /* bpf_timer_init on an initialised timer: -EBUSY */
long start_no_cb;    /* bpf_timer_start before set_callback: -EINVAL */
long cancel_ret;     /* cancelling an armed timer: 1 */
long cancel_self;    /* bpf_timer_cancel from its own callback: -EDEADLK */
long hash_key;

static int array_cb(void *map, int *key, struct elem *val)
{
	order = order * 10 + val->id;
	keys = keys * 10 + *key;
	fires++;
	if (val->id == 2 && !rearmed) {          /* re-arm once: fires again, last */
		rearmed = 1;
		val->id = 4;
		bpf_timer_start(&val->timer, 1000000, 0);
	}
	cancel_self = bpf_timer_cancel(&val->timer);
	return 0;
}

static int hash_cb(void *map, long *key, struct elem *val)
{
	hash_key = *key;
	order = order * 10 + val->id;
	fires++;
	return 0;
}

static int arm(int k, long id, __u64 nsecs)
{
	struct elem *e = bpf_map_lookup_elem(&arr, &k);

	if (!e)
		return -1;
	e->id = id;
	bpf_timer_init(&e->timer, &arr, CLOCK_MONOTONIC);
	bpf_timer_set_callback(&e->timer, array_cb);
	return bpf_timer_start(&e->timer, nsecs, 0);
}

SEC("tc")
int timers(struct __sk_buff *skb)
{
	struct elem init = {}, *e;
	long hk = 77;
	int k = 0;

	/* key 0 fires last of the three (3 us), key 1 first (1 us), key 2 second (2 us) */
	arm(0, 3, 3000);
	arm(1, 1, 1000);
	arm(2, 2, 2000);

	e = bpf_map_lookup_elem(&arr, &k);
	if (!e)
		return -1;
	init_again = bpf_timer_init(&e->timer, &arr, CLOCK_MONOTONIC);

	bpf_map_update_elem(&hmap, &hk, &init, 0);
	e = bpf_map_lookup_elem(&hmap, &hk);
	if (!e)
		return -1;
	e->id = 5;
	bpf_timer_init(&e->timer, &hmap, CLOCK_MONOTONIC);
	start_no_cb = bpf_timer_start(&e->timer, 10, 0);
	bpf_timer_set_callback(&e->timer, hash_cb);
	bpf_timer_start(&e->timer, 500, 0);            /* fires first of all */
	return fires;                                  /* nothing fired yet: 0 */
}

SEC("tc")
int cancelled(struct __sk_buff *skb)
{
	int k = 0;
	struct elem *e;

	arm(0, 1, 1000);
	e = bpf_map_lookup_elem(&arr, &k);
	if (!e)
		return -1;
	cancel_ret = bpf_timer_cancel(&e->timer);
	return 0;
}

char _license[] SEC("license") = "GPL";
