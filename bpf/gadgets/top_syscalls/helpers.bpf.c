// SPDX-License-Identifier: GPL-2.0
/*
 * top_syscalls, second compilation unit: the counter map and the global
 * (non-static, never inlined) functions that program.bpf.c calls through
 * `extern` declarations. The verifier checks each global function once,
 * on its own, from its signature: here they take no arguments and return
 * a scalar.
 */
#if __has_include(<vmlinux.h>)
#include <vmlinux.h>
#else
#include <linux/types.h>
#include <linux/bpf.h>
#endif

#include <bpf/bpf_helpers.h>

#include <gadget/types.h>
#include <gadget/mntns.h>
#include <gadget/mntns_filter.h>

#include "top_syscalls.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TOP_SYSCALLS_MAX_ENTRIES);
	__type(key, struct syscall_key);
	__type(value, struct syscall_stats);
} syscall_counts SEC(".maps");

/* Counters of the current process, created on first use; NULL when the
 * process is filtered out or the map is full. */
static __always_inline struct syscall_stats *current_stats(void)
{
	struct syscall_key key = { .pid = bpf_get_current_pid_tgid() >> 32 };
	struct syscall_stats *stats, fresh = {};

	stats = bpf_map_lookup_elem(&syscall_counts, &key);
	if (stats)
		return stats;

	fresh.mntns_id = gadget_get_current_mntns_id();
	if (gadget_should_discard_mntns_id(fresh.mntns_id))
		return NULL;
	bpf_get_current_comm(fresh.comm, sizeof(fresh.comm));
	bpf_map_update_elem(&syscall_counts, &key, &fresh, BPF_NOEXIST);
	return bpf_map_lookup_elem(&syscall_counts, &key);
}

__noinline int top_syscalls_count_call(void)
{
	struct syscall_stats *stats = current_stats();

	if (stats)
		__sync_fetch_and_add(&stats->calls, 1);
	return 0;
}

__noinline int top_syscalls_count_failure(void)
{
	struct syscall_stats *stats = current_stats();

	if (stats)
		__sync_fetch_and_add(&stats->failures, 1);
	return 0;
}

__noinline int top_syscalls_forget(__u32 pid)
{
	struct syscall_key key = { .pid = pid };

	bpf_map_delete_elem(&syscall_counts, &key);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
