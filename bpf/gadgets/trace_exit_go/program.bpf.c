// SPDX-License-Identifier: GPL-2.0
/*
 * trace_exit_go: one event per process exit, sent through a ring buffer,
 * with the wait status the kernel keeps for the parent (exit code in bits
 * 8-15, or the terminating signal in bits 0-6 and the core-dump flag in
 * bit 7). The gadget also carries a WebAssembly module built from Go
 * (build.yaml's `wasm: go/program.go`); go/exitcode is the decoder for
 * that status.
 *
 * Uses the kernel's own types from <vmlinux.h> when the include path has
 * one for the target architecture; otherwise the one kernel structure read
 * is declared below with only the members used. Either way every access is
 * CO-RE relocated.
 */
#if __has_include(<vmlinux.h>)
#include <vmlinux.h>
#else
#include <stdbool.h>
#include <linux/types.h>
#include <linux/bpf.h>

struct task_struct {
	int pid;
	int tgid;
	int exit_code;
	struct task_struct *real_parent;
} __attribute__((preserve_access_index));
#endif

#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>

#include <gadget/macros.h>
#include <gadget/types.h>
#include <gadget/buffer.h>
#include <gadget/mntns.h>
#include <gadget/mntns_filter.h>

/* Report only the exit of a thread group's leader (tid == pid), i.e. one
 * event per process rather than one per thread. */
const volatile bool ignore_threads = true;
GADGET_PARAM(ignore_threads);

struct event {
	gadget_timestamp timestamp_raw;
	gadget_mntns_id mntns_id;
	gadget_comm comm[TASK_COMM_LEN];
	gadget_pid pid;
	gadget_tid tid;
	gadget_ppid ppid;
	gadget_uid uid;
	gadget_gid gid;
	__u32 exit_status;	/* wait status: code << 8, or signal | 0x80 if core */
};

GADGET_TRACER_MAP(events, 1024 * 256);
GADGET_TRACER(exit, events, event);

/* sched_process_exit(struct task_struct *p, ...): p is the exiting task,
 * the current one; its exit_code is set before the tracepoint fires. */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(trace_exit, struct task_struct *p)
{
	__u64 uid_gid = bpf_get_current_uid_gid();
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	gadget_mntns_id mntns_id;
	struct event *e;

	if (ignore_threads && (__u32)pid_tgid != pid_tgid >> 32)
		return 0;

	mntns_id = gadget_get_current_mntns_id();
	if (gadget_should_discard_mntns_id(mntns_id))
		return 0;

	e = gadget_reserve_buf(&events, sizeof(*e));
	if (!e)
		return 0;

	e->timestamp_raw = bpf_ktime_get_boot_ns();
	e->mntns_id = mntns_id;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	e->pid = pid_tgid >> 32;
	e->tid = (__u32)pid_tgid;
	e->ppid = BPF_CORE_READ(p, real_parent, tgid);
	e->uid = (__u32)uid_gid;
	e->gid = uid_gid >> 32;
	e->exit_status = BPF_CORE_READ(p, exit_code);

	gadget_submit_buf(ctx, &events, e, sizeof(*e));
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
