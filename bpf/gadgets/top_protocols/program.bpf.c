// SPDX-License-Identifier: GPL-2.0
/*
 * top_protocols: a socket filter that counts packets and bytes per
 * (IP version, L4 protocol) seen on a packet socket. It parses headers
 * with the kernel's UAPI definitions (<linux/if_ether.h>, <linux/ip.h>,
 * <linux/ipv6.h>, <linux/in.h>) instead of <vmlinux.h>; none of those types
 * need CO-RE because their layout is a stable ABI.
 *
 * The filter accepts every packet unchanged (returns the full length).
 */
#include <asm/types.h>
#include <linux/types.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include <gadget/macros.h>
#include <gadget/types.h>

struct proto_key {
	__u16 ethertype;	/* host order, e.g. 0x0800 */
	__u8 ip_version;	/* 4, 6, or 0 for non-IP */
	__u8 l4_proto_raw;	/* IPPROTO_* (0 for non-IP) */
};

struct proto_stats {
	gadget_counter__u64 packets;
	gadget_counter__u64 bytes;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, struct proto_key);
	__type(value, struct proto_stats);
} protocol_counts SEC(".maps");

GADGET_MAPITER(protocols, protocol_counts);

SEC("socket")
int count_protocols(struct __sk_buff *skb)
{
	struct proto_key key = {};
	struct proto_stats *stats, fresh = {};
	__u16 proto_be;

	if (bpf_skb_load_bytes(skb, offsetof(struct ethhdr, h_proto),
			       &proto_be, sizeof(proto_be)) < 0)
		return skb->len;
	key.ethertype = bpf_ntohs(proto_be);

	if (key.ethertype == ETH_P_IP) {
		struct iphdr ip;

		if (bpf_skb_load_bytes(skb, ETH_HLEN, &ip, sizeof(ip)) == 0) {
			key.ip_version = 4;
			key.l4_proto_raw = ip.protocol;
		}
	} else if (key.ethertype == ETH_P_IPV6) {
		struct ipv6hdr ip6;

		if (bpf_skb_load_bytes(skb, ETH_HLEN, &ip6, sizeof(ip6)) == 0) {
			key.ip_version = 6;
			/* first header only: extension headers are not walked */
			key.l4_proto_raw = ip6.nexthdr;
		}
	}

	stats = bpf_map_lookup_elem(&protocol_counts, &key);
	if (!stats) {
		bpf_map_update_elem(&protocol_counts, &key, &fresh, BPF_NOEXIST);
		stats = bpf_map_lookup_elem(&protocol_counts, &key);
		if (!stats)
			return skb->len;
	}
	__sync_fetch_and_add(&stats->packets, 1);
	__sync_fetch_and_add(&stats->bytes, skb->len);
	return skb->len;
}

char LICENSE[] SEC("license") = "GPL";
