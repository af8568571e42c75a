// SPDX-License-Identifier: GPL-2.0
/* Compiles, but the kernel verifier refuses read_past_the_end: it reads the second __u64 of a
 * one-__u64 map value (line 31). read_in_bounds reads the first and is accepted. */
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

SEC("socket")
int read_in_bounds(struct __sk_buff *skb)
{
	__u32 key = 0;
	__u64 *counter = bpf_map_lookup_elem(&counters, &key);

	return counter ? (int)*counter : 0;
}

SEC("socket")
int read_past_the_end(struct __sk_buff *skb)
{
	__u32 key = 0;
	__u64 *counter = bpf_map_lookup_elem(&counters, &key);
	if (!counter)
		return 0;
	return (int)((volatile __u64 *)counter)[1];
}

char LICENSE[] SEC("license") = "GPL";
