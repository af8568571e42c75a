// SPDX-License-Identifier: GPL-2.0
/*
 * top_syscalls: per-process syscall and failure counters, read
 * periodically by user space through a map iterator.
 *
 * This gadget spans two compilation units linked into one object:
 *  - program.bpf.c (this file, build.yaml's ebpfsource) has the programs
 *    and the metadata markers; it calls functions that helpers.bpf.c
 *    defines, through `extern` declarations (top_syscalls.h);
 *  - helpers.bpf.c defines the counter map and the global functions.
 * The map marker names a map of the other file: markers are only names,
 * checked against the linked object.
 * The linker (libbpf's bpf_linker, as in `bpftool gen object`) resolves
 * the externs.
 */
#if __has_include(<vmlinux.h>)
#include <vmlinux.h>
#else
/* No vmlinux.h for this architecture: declare what is used. */
#include <linux/types.h>
#include <linux/bpf.h>

struct pt_regs;
struct task_struct {
	int pid;
	int tgid;
} __attribute__((preserve_access_index));
#endif

#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include <gadget/macros.h>
#include <gadget/types.h>

#include "top_syscalls.h"

GADGET_MAPITER(syscalls, syscall_counts);

/* sys_enter(struct pt_regs *regs, long id) */
SEC("tp_btf/sys_enter")
int BPF_PROG(top_syscalls_enter, struct pt_regs *regs, long id)
{
	return top_syscalls_count_call();
}

/* sys_exit(struct pt_regs *regs, long ret) */
SEC("tp_btf/sys_exit")
int BPF_PROG(top_syscalls_exit, struct pt_regs *regs, long ret)
{
	if (ret < 0 && ret >= -4095)
		return top_syscalls_count_failure();
	return 0;
}

/* Forget a process when its thread group leader exits.
 * sched_process_exit(struct task_struct *p) */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(top_syscalls_process_exit, struct task_struct *p)
{
	if (p->pid != p->tgid)
		return 0;
	return top_syscalls_forget(p->tgid);
}

char LICENSE[] SEC("license") = "GPL";
