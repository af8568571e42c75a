// SPDX-License-Identifier: GPL-2.0
/*
 * derived_fields: a gadget that is never run, made for `--update-metadata`
 * tests. Its event carries a member of each kind that ig's operators turn
 * into fields users see (formatted values, an enum, the process struct,
 * endpoints, a user stack), and an iterator over a map's elements
 * (GADGET_ITER with GADGET_ITER_TARGET_MAP).
 */
#include <vmlinux.h>
#include <bpf/bpf_helpers.h>

#include <gadget/macros.h>
#include <gadget/types.h>

enum open_kind {
	OPEN_READ,
	OPEN_WRITE,
};

struct event {
	gadget_timestamp timestamp_raw;
	struct gadget_process proc;
	gadget_errno error_raw;
	gadget_file_flags flags_raw;
	gadget_file_mode mode_raw;
	gadget_signal sig_raw;
	gadget_syscall syscall_raw;
	gadget_bytes size_raw;
	gadget_duration latency_raw;
	gadget_kernel_stack kstack_raw;
	enum open_kind kind_raw;
	struct gadget_l4endpoint_t dst;
	struct gadget_user_stack ustack;
	__u32 __reserved;
	char fname[64];
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} events SEC(".maps");

GADGET_TRACER(open, events, event);

const volatile bool targ_failed = false;
GADGET_PARAM(targ_failed);

struct counter {
	__u32 id;
	gadget_bytes total_raw;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u64);
} totals SEC(".maps");

GADGET_ITER(counters, counter, dump_totals);
GADGET_ITER_TARGET_MAP(dump_totals, totals);

SEC("tracepoint/syscalls/sys_enter_openat")
int trace_open(void *ctx)
{
	struct event *event = bpf_ringbuf_reserve(&events, sizeof(*event), 0);

	if (!event)
		return 0;
	__builtin_memset(event, 0, sizeof(*event));
	event->timestamp_raw = bpf_ktime_get_boot_ns();
	event->flags_raw = targ_failed;
	bpf_ringbuf_submit(event, 0);
	return 0;
}

SEC("iter/bpf_map_elem")
int dump_totals(struct bpf_iter__bpf_map_elem *ctx)
{
	struct counter record = {};
	__u32 *key = ctx->key;
	__u64 *value = ctx->value;

	if (!key || !value)
		return 0;
	record.id = *key;
	record.total_raw = *value;
	bpf_seq_write(ctx->meta->seq, &record, sizeof(record));
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
