// SPDX-License-Identifier: GPL-2.0
/*
 * trace_signal: one event per signal generated for a task, shaped by eBPF
 * parameters. Each parameter is a `const volatile` global marked with
 * GADGET_PARAM and described under params.ebpf in gadget.yaml; user space
 * writes the values into the object's .rodata before loading it, so the
 * verifier sees constants and removes the branches of disabled filters.
 */
#if __has_include(<vmlinux.h>)
#include <vmlinux.h>
#else
/* No vmlinux.h for this architecture: declare the one kernel structure
 * read, with only the members used (CO-RE relocated). */
#include <stdbool.h>
#include <linux/types.h>
#include <linux/bpf.h>

#define TASK_COMM_LEN 16	/* the kernel's value; <gadget/types.h> agrees */

struct kernel_siginfo;

struct task_struct {
	int pid;
	int tgid;
	char comm[TASK_COMM_LEN];
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

/* Only this signal number (0: all signals). */
const volatile gadget_signal targ_signal = 0;
GADGET_PARAM(targ_signal);

/* Only signals whose delivery failed or was ignored (result != 0). */
const volatile bool failed_only = false;
GADGET_PARAM(failed_only);

/* Only signals sent by this process (0: any sender). */
const volatile gadget_pid targ_sender_pid = 0;
GADGET_PARAM(targ_sender_pid);

/* Only signals aimed at this process (0: any target). */
const volatile gadget_pid targ_target_pid = 0;
GADGET_PARAM(targ_target_pid);

/* Also report signals raised while no user process is current (the
 * current pid is 0, e.g. from interrupt context or the idle task). */
const volatile bool include_kernel = true;
GADGET_PARAM(include_kernel);

struct event {
	gadget_timestamp timestamp_raw;
	gadget_mntns_id mntns_id;
	gadget_comm comm[TASK_COMM_LEN];
	gadget_pid pid;
	gadget_tid tid;
	gadget_uid uid;
	gadget_pid target_pid;
	gadget_tid target_tid;
	gadget_comm target_comm[TASK_COMM_LEN];
	gadget_signal sig_raw;
	__s32 result;	/* TRACE_SIGNAL_* code: 0 delivered, else ignored/failed */
	__u8 group;	/* sent to the whole thread group */
};

GADGET_TRACER_MAP(events, 1024 * 256);
GADGET_TRACER(signal, events, event);

/* signal_generate(int sig, struct kernel_siginfo *info,
 *                 struct task_struct *task, int group, int result) */
SEC("tp_btf/signal_generate")
int BPF_PROG(trace_signal_generate, int sig, struct kernel_siginfo *info,
	     struct task_struct *task, int group, int result)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	gadget_pid sender = pid_tgid >> 32;
	gadget_mntns_id mntns_id;
	struct event *e;

	if (targ_signal && sig != (int)targ_signal)
		return 0;
	if (failed_only && result == 0)
		return 0;
	if (targ_sender_pid && sender != targ_sender_pid)
		return 0;
	if (targ_target_pid && (gadget_pid)task->tgid != targ_target_pid)
		return 0;
	if (!include_kernel && sender == 0)
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
	e->pid = sender;
	e->tid = (__u32)pid_tgid;
	e->uid = (__u32)bpf_get_current_uid_gid();
	e->target_pid = task->tgid;
	e->target_tid = task->pid;
	BPF_CORE_READ_STR_INTO(&e->target_comm, task, comm);
	e->sig_raw = sig;
	e->result = result;
	e->group = group != 0;

	gadget_submit_buf(ctx, &events, e, sizeof(*e));
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
