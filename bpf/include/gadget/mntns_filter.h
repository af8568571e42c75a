/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gadgetc gadget headers: container (mount namespace) filter.
 *
 * User space sets gadget_filter_by_mntns before loading and puts the mount
 * namespaces to keep into gadget_mntns_filter_map (any value). With the
 * flag false (the default) nothing is filtered and the verifier removes the
 * lookup altogether, because the flag is a load-time constant.
 */
#ifndef GADGETC_GADGET_MNTNS_FILTER_H
#define GADGETC_GADGET_MNTNS_FILTER_H

#ifndef __VMLINUX_H__
#include <stdbool.h>
#include <linux/bpf.h>
#endif
#include <bpf/bpf_helpers.h>
#include <gadget/types.h>
#include <gadget/mntns.h>

#ifndef GADGET_MAX_MNTNS_FILTER
#define GADGET_MAX_MNTNS_FILTER 1024
#endif

const volatile bool gadget_filter_by_mntns = false;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, GADGET_MAX_MNTNS_FILTER);
	__type(key, gadget_mntns_id);
	__type(value, __u32);
} gadget_mntns_filter_map SEC(".maps");

/* True when events from mount namespace `mntns_id` must be dropped. */
static __always_inline bool gadget_should_discard_mntns_id(gadget_mntns_id mntns_id)
{
	if (!gadget_filter_by_mntns)
		return false;
	return bpf_map_lookup_elem(&gadget_mntns_filter_map, &mntns_id) == NULL;
}

#endif /* GADGETC_GADGET_MNTNS_FILTER_H */
