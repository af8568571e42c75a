// SPDX-License-Identifier: GPL-2.0
/*
 * trace_exec: one event per successful execve(), sent through a ring buffer.
 *
 * Uses the kernel's own types from <vmlinux.h> when the include path has
 * one for the target architecture (as most Inspektor Gadget gadgets do);
 * otherwise the two kernel structures read are declared below with only
 * the members used. Either way every access is CO-RE relocated.
 */
#if __has_include(<vmlinux.h>)
#include <vmlinux.h>
#else
#include <linux/types.h>
#include <linux/bpf.h>

struct task_struct {
	int pid;
	int tgid;
	struct task_struct *real_parent;
} __attribute__((preserve_access_index));

struct linux_binprm {
	const char *filename;
} __attribute__((preserve_access_index));
#endif

#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>

#include <gadget/macros.h>
#include <gadget/types.h>
#include <gadget/buffer.h>
#include <gadget/filter.h>

#define FILENAME_LEN 256

struct event {
	gadget_timestamp timestamp_raw;
	gadget_mntns_id mntns_id;
	gadget_comm comm[TASK_COMM_LEN];
	gadget_pid pid;
	gadget_tid tid;
	gadget_ppid ppid;
	gadget_uid uid;
	gadget_gid gid;
	gadget_pid old_pid;
	char filename[FILENAME_LEN];
};

GADGET_TRACER_MAP(events, 1024 * 256);
GADGET_TRACER(exec, events, event);

/* sched_process_exec(struct task_struct *p, pid_t old_pid,
 *                    struct linux_binprm *bprm) */
SEC("tp_btf/sched_process_exec")
int BPF_PROG(trace_exec, struct task_struct *p, int old_pid,
	     struct linux_binprm *bprm)
{
	__u64 uid_gid = bpf_get_current_uid_gid();
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct event *e;

	if (gadget_should_discard_data_current())
		return 0;

	e = gadget_reserve_buf(&events, sizeof(*e));
	if (!e)
		return 0;

	e->timestamp_raw = bpf_ktime_get_boot_ns();
	e->mntns_id = gadget_get_current_mntns_id();
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	e->pid = pid_tgid >> 32;
	e->tid = (__u32)pid_tgid;
	e->ppid = BPF_CORE_READ(p, real_parent, tgid);
	e->uid = (__u32)uid_gid;
	e->gid = uid_gid >> 32;
	e->old_pid = old_pid;
	bpf_probe_read_kernel_str(e->filename, sizeof(e->filename),
				  BPF_CORE_READ(bprm, filename));

	gadget_submit_buf(ctx, &events, e, sizeof(*e));
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
