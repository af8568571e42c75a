/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gadgetc gadget headers: the few kernel structures the helpers read.
 *
 * These are CO-RE "flavours": the part of a type name after a triple
 * underscore is ignored by libbpf when it matches local types against the
 * running kernel's BTF, so `struct task_struct___gadget` relocates against
 * the kernel's `struct task_struct`. Only the members used are declared,
 * and their offsets here are meaningless: every access is relocated
 * (preserve_access_index). Because the names differ from the kernel's they
 * never clash with <vmlinux.h>, whether or not a gadget includes it.
 */
#ifndef GADGETC_GADGET_CORE_TYPES_H
#define GADGETC_GADGET_CORE_TYPES_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#ifndef TASK_COMM_LEN
#define TASK_COMM_LEN 16
#endif

struct ns_common___gadget {
	unsigned int inum;
} __attribute__((preserve_access_index));

struct mnt_namespace___gadget {
	struct ns_common___gadget ns;
} __attribute__((preserve_access_index));

struct net___gadget {
	struct ns_common___gadget ns;
} __attribute__((preserve_access_index));

struct nsproxy___gadget {
	struct mnt_namespace___gadget *mnt_ns;
	struct net___gadget *net_ns;
} __attribute__((preserve_access_index));

struct task_struct___gadget {
	int pid;
	int tgid;
	char comm[TASK_COMM_LEN];
	struct task_struct___gadget *real_parent;
	struct nsproxy___gadget *nsproxy;
} __attribute__((preserve_access_index));

#endif /* GADGETC_GADGET_CORE_TYPES_H */
