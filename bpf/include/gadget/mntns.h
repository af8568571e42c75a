/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gadgetc gadget headers: mount namespace of the current task.
 * Events carrying a gadget_mntns_id field are enriched with container
 * information in user space.
 */
#ifndef GADGETC_GADGET_MNTNS_H
#define GADGETC_GADGET_MNTNS_H

#include <gadget/types.h>
#include <gadget/core_types.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

/* Mount namespace inode number of the task `t` (a struct task_struct *). */
static __always_inline gadget_mntns_id gadget_task_mntns_id(const void *t)
{
	const struct task_struct___gadget *task = t;

	return BPF_CORE_READ(task, nsproxy, mnt_ns, ns.inum);
}

/* Mount namespace inode number of the current task. */
static __always_inline gadget_mntns_id gadget_get_current_mntns_id(void)
{
	return gadget_task_mntns_id((const void *)bpf_get_current_task());
}

/* Older spelling of gadget_get_current_mntns_id(). */
__attribute__((deprecated("use gadget_get_current_mntns_id()")))
static __always_inline gadget_mntns_id gadget_get_mntns_id(void)
{
	return gadget_get_current_mntns_id();
}

#endif /* GADGETC_GADGET_MNTNS_H */
