// SPDX-License-Identifier: GPL-2.0
/*
 * snapshot_process: list the running processes (or threads) once, with a
 * task iterator. Each record written with bpf_seq_write() is one
 * `struct process_entry`; user space reads the iterator's file to the end.
 *
 * Uses the kernel's own types from <vmlinux.h> when the include path has
 * one for the target architecture; otherwise the iterator context and the
 * task fields used are declared below. Either way they are CO-RE relocated.
 */
#if __has_include(<vmlinux.h>)
#include <vmlinux.h>
#else
#include <stdbool.h>
#include <linux/types.h>
#include <linux/bpf.h>

#define TASK_COMM_LEN 16	/* the kernel's value; <gadget/types.h> agrees */

struct seq_file;

struct bpf_iter_meta {
	struct seq_file *seq;
} __attribute__((preserve_access_index));

/* kuid_t and kgid_t are one-member structs in the kernel */
struct kuid_s {
	unsigned int val;
} __attribute__((preserve_access_index));

struct cred {
	struct kuid_s uid;
	struct kuid_s gid;
} __attribute__((preserve_access_index));

struct task_struct {
	int pid;
	int tgid;
	char comm[TASK_COMM_LEN];
	struct task_struct *real_parent;
	struct cred *cred;
} __attribute__((preserve_access_index));

struct bpf_iter__task {
	struct bpf_iter_meta *meta;
	struct task_struct *task;
} __attribute__((preserve_access_index));
#endif

#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

#include <gadget/macros.h>
#include <gadget/types.h>
#include <gadget/mntns.h>
#include <gadget/mntns_filter.h>

struct process_entry {
	gadget_mntns_id mntns_id;
	gadget_comm comm[TASK_COMM_LEN];
	gadget_pid pid;
	gadget_tid tid;
	gadget_ppid ppid;
	gadget_uid uid;
	gadget_gid gid;
};

/* Show every thread instead of one entry per process. */
const volatile bool show_threads = false;
GADGET_PARAM(show_threads);

GADGET_SNAPSHOTTER(processes, process_entry, snapshot_tasks);

SEC("iter/task")
int snapshot_tasks(struct bpf_iter__task *ctx)
{
	struct seq_file *seq = ctx->meta->seq;
	struct task_struct *task = ctx->task;
	struct process_entry entry = {};

	if (!task)	/* end of iteration */
		return 0;

	if (!show_threads && task->tgid != task->pid)
		return 0;

	entry.mntns_id = gadget_task_mntns_id(task);
	if (gadget_should_discard_mntns_id(entry.mntns_id))
		return 0;

	entry.pid = task->tgid;
	entry.tid = task->pid;
	entry.ppid = BPF_CORE_READ(task, real_parent, tgid);
	/* _INTO, not BPF_CORE_READ(): vmlinux.h's cred->uid is a const kuid_t,
	 * and BPF_CORE_READ's uninitialised `typeof(...) __r` temporary of a
	 * const type warns with clang >= 21 (-Wdefault-const-init-var-unsafe). */
	BPF_CORE_READ_INTO(&entry.uid, task, cred, uid.val);
	BPF_CORE_READ_INTO(&entry.gid, task, cred, gid.val);
	BPF_CORE_READ_STR_INTO(&entry.comm, task, comm);

	bpf_seq_write(seq, &entry, sizeof(entry));
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
