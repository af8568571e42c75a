/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gadgetc gadget headers: sending events to user space.
 *
 * gadgetc gadgets use a BPF ring buffer (kernel >= 5.8); there is no perf
 * event array fallback. Usage:
 *
 *	GADGET_TRACER_MAP(events, 1024 * 256);
 *	GADGET_TRACER(exec, events, event);
 *	...
 *	struct event *e = gadget_reserve_buf(&events, sizeof(*e));
 *	if (!e)
 *		return 0;
 *	... fill e ...
 *	gadget_submit_buf(ctx, &events, e, sizeof(*e));
 *
 * The ring buffer size must be a power of two and a multiple of the page
 * size; user space may resize it before loading.
 */
#ifndef GADGETC_GADGET_BUFFER_H
#define GADGETC_GADGET_BUFFER_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#include <linux/bpf.h>
#endif
#include <bpf/bpf_helpers.h>

/*
 * GADGET_TRACER_MAP(name, size): a ring buffer map called `name` of `size`
 * bytes, plus the gadget_map_tracer_<name> marker.
 */
#define GADGET_TRACER_MAP(name, size)                                      \
	struct {                                                           \
		__uint(type, BPF_MAP_TYPE_RINGBUF);                        \
		__uint(max_entries, size);                                 \
	} name SEC(".maps");                                               \
	const void *gadget_map_tracer_##name __attribute__((unused));

/* Reserve `size` bytes (a compile-time constant) in ring buffer `map`. */
static __always_inline void *gadget_reserve_buf(void *map, __u64 size)
{
	return bpf_ringbuf_reserve(map, size, 0);
}

/* Give back a reservation without sending it. */
static __always_inline void gadget_discard_buf(void *buf)
{
	bpf_ringbuf_discard(buf, 0);
}

/*
 * Send a reservation. `ctx`, `map` and `size` are unused with a ring
 * buffer; they keep the call shape of gadgets written for perf buffers.
 */
static __always_inline long gadget_submit_buf(void *ctx, void *map, void *buf,
					      __u64 size)
{
	(void)ctx;
	(void)map;
	(void)size;
	bpf_ringbuf_submit(buf, 0);
	return 0;
}

/* Copy `size` bytes from `buf` (e.g. on the stack) into ring buffer `map`. */
static __always_inline long gadget_output_buf(void *ctx, void *map, void *buf,
					      __u64 size)
{
	(void)ctx;
	return bpf_ringbuf_output(map, buf, size, 0);
}

#endif /* GADGETC_GADGET_BUFFER_H */
