/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gadgetc gadget headers: small integer helpers for histograms.
 */
#ifndef GADGETC_GADGET_BITS_BPF_H
#define GADGETC_GADGET_BITS_BPF_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif
#include <bpf/bpf_helpers.h>

/* floor(log2(v)) for v > 0; 0 for v == 0. Branch-free binary search. */
static __always_inline __u64 log2l(__u64 v)
{
	__u64 r = 0, s;

	s = (v > 0xFFFFFFFFULL) << 5; v >>= s; r |= s;
	s = (v > 0xFFFFULL) << 4;     v >>= s; r |= s;
	s = (v > 0xFFULL) << 3;       v >>= s; r |= s;
	s = (v > 0xFULL) << 2;        v >>= s; r |= s;
	s = (v > 0x3ULL) << 1;        v >>= s; r |= s;
	r |= (v >> 1);
	return r;
}

static __always_inline __u64 log2(__u32 v)
{
	return log2l(v);
}

#endif /* GADGETC_GADGET_BITS_BPF_H */
