/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gadgetc gadget headers: describing the current process.
 * Unlike some gadget header sets, this one does not pull in <vmlinux.h>.
 */
#ifndef GADGETC_GADGET_COMMON_H
#define GADGETC_GADGET_COMMON_H

#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <gadget/types.h>
#include <gadget/core_types.h>
#include <gadget/mntns.h>

/* Fill `p` with the current task: ids, comm, credentials, parent. */
static __always_inline void gadget_process_populate(struct gadget_process *p)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u64 uid_gid = bpf_get_current_uid_gid();
	struct task_struct___gadget *task, *parent;

	p->pid = pid_tgid >> 32;
	p->tid = (__u32)pid_tgid;
	p->creds.uid = (__u32)uid_gid;
	p->creds.gid = uid_gid >> 32;
	bpf_get_current_comm(p->comm, sizeof(p->comm));

	task = (struct task_struct___gadget *)bpf_get_current_task();
	p->mntns_id = BPF_CORE_READ(task, nsproxy, mnt_ns, ns.inum);

	parent = BPF_CORE_READ(task, real_parent);
	if (!parent) {
		p->parent.pid = 0;
		p->parent.tid = 0;
		p->parent.comm[0] = '\0';
		return;
	}
	p->parent.pid = BPF_CORE_READ(parent, tgid);
	p->parent.tid = BPF_CORE_READ(parent, pid);
	BPF_CORE_READ_STR_INTO(&p->parent.comm, parent, comm);
}

#endif /* GADGETC_GADGET_COMMON_H */
