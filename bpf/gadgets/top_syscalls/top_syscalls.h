/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared between program.bpf.c and helpers.bpf.c: the counter map's key
 * and value, and the functions helpers.bpf.c exports. The linker checks
 * that each extern's prototype matches its definition.
 */
#ifndef TOP_SYSCALLS_H
#define TOP_SYSCALLS_H

#include <gadget/types.h>

#define TOP_SYSCALLS_MAX_ENTRIES 10240

struct syscall_key {
	gadget_pid pid;
};

struct syscall_stats {
	gadget_mntns_id mntns_id;
	gadget_comm comm[TASK_COMM_LEN];
	gadget_counter__u64 calls;
	gadget_counter__u64 failures;
};

/* Defined in helpers.bpf.c: count one syscall entry for the current task. */
extern int top_syscalls_count_call(void);
/* Defined in helpers.bpf.c: count one failed syscall for the current task. */
extern int top_syscalls_count_failure(void);
/* Defined in helpers.bpf.c: drop the counters of process `pid`. */
extern int top_syscalls_forget(__u32 pid);

#endif /* TOP_SYSCALLS_H */
