// SPDX-License-Identifier: GPL-2.0
/* Valid, but only with a vmlinux.h on the include path (like most
 * Inspektor Gadget gadgets): it uses kernel types without declaring them. */
#include <vmlinux.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>

#include <gadget/macros.h>
#include <gadget/types.h>
#include <gadget/buffer.h>
#include <gadget/mntns.h>

struct event {
	gadget_mntns_id mntns_id;
	gadget_pid pid;
	gadget_ppid ppid;
	gadget_comm comm[TASK_COMM_LEN];
};

GADGET_TRACER_MAP(events, 1024 * 64);
GADGET_TRACER(exec, events, event);

SEC("tp_btf/sched_process_exec")
int BPF_PROG(needs_vmlinux_exec, struct task_struct *p, pid_t old_pid,
	     struct linux_binprm *bprm)
{
	struct event *e = gadget_reserve_buf(&events, sizeof(*e));

	if (!e)
		return 0;
	e->mntns_id = gadget_get_current_mntns_id();
	e->pid = BPF_CORE_READ(p, tgid);
	e->ppid = BPF_CORE_READ(p, real_parent, tgid);
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	gadget_submit_buf(ctx, &events, e, sizeof(*e));
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
