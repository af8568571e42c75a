/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gadgetc gadget headers: field types.
 *
 * The typedef *names* are what matters: user space recognises a struct
 * member's type name (kept in BTF) and formats or enriches the field, e.g.
 * a gadget_mntns_id member gets container information, a gadget_timestamp
 * (from bpf_ktime_get_boot_ns()) is shown as wall-clock time, a
 * gadget_errno/gadget_signal/gadget_syscall number gets its name.
 *
 * Works with or without <vmlinux.h>: when vmlinux.h was included first its
 * __u8.. __u64 are used, otherwise <linux/types.h> provides them.
 */
#ifndef GADGETC_GADGET_TYPES_H
#define GADGETC_GADGET_TYPES_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#ifndef TASK_COMM_LEN
#define TASK_COMM_LEN 16
#endif

/* Identifiers of processes, users and namespaces */
typedef __u64 gadget_mntns_id;	/* mount namespace inode number */
typedef __u32 gadget_netns_id;	/* network namespace inode number */
typedef __u32 gadget_pid;	/* process id (kernel: tgid) */
typedef __u32 gadget_ppid;	/* parent process id */
typedef __u32 gadget_tid;	/* thread id (kernel: pid) */
typedef __u32 gadget_uid;
typedef __u32 gadget_gid;
typedef char gadget_comm;	/* use as gadget_comm comm[TASK_COMM_LEN] */
typedef char gadget_pcomm;	/* parent's comm */

/* Values that user space decodes into names or units */
typedef __u64 gadget_timestamp;	/* ns since boot, bpf_ktime_get_boot_ns() */
typedef __u64 gadget_duration;	/* ns */
typedef __u64 gadget_bytes;
typedef __u32 gadget_signal;	/* signal number */
typedef __u32 gadget_errno;	/* positive errno value */
typedef __u64 gadget_syscall;	/* syscall number */
typedef __u32 gadget_kernel_stack; /* id from bpf_get_stackid() */
typedef __u32 gadget_file_mode;	/* st_mode bits, shown as "-rw-r--r--" */
typedef __u32 gadget_file_flags; /* open(2) flags, shown as "O_RDONLY|O_CLOEXEC" */

/* Metric kinds, for map iterators and periodic reporting */
typedef __u32 gadget_counter__u32;
typedef __u64 gadget_counter__u64;
typedef __u32 gadget_gauge__u32;
typedef __u64 gadget_gauge__u64;
typedef __u32 gadget_histogram_slot__u32;
typedef __u64 gadget_histogram_slot__u64;

/* Network endpoints */
union gadget_ip_addr_t {
	__u8 v6[16];
	__u32 v4;
};

struct gadget_l3endpoint_t {
	union gadget_ip_addr_t addr_raw;
	__u8 version;		/* 4 or 6 */
};

struct gadget_l4endpoint_t {
	union gadget_ip_addr_t addr_raw;
	__u16 port;		/* host byte order */
	__u16 proto_raw;	/* IPPROTO_* */
	__u8 version;		/* 4 or 6 */
};

/* Process description, filled by gadget_process_populate() (common.h) */
struct gadget_creds {
	gadget_uid uid;
	gadget_gid gid;
};

struct gadget_parent {
	gadget_pcomm comm[TASK_COMM_LEN];
	gadget_ppid pid;
	gadget_tid tid;
};

struct gadget_process {
	gadget_comm comm[TASK_COMM_LEN];
	gadget_pid pid;
	gadget_tid tid;
	gadget_mntns_id mntns_id;
	struct gadget_creds creds;
	struct gadget_parent parent;
};

/*
 * A user-space stack for ig's ustack operator, which symbolises it: the
 * executable (major, minor, inode, mtime), its base address hash, the stack
 * id from bpf_get_stackid() and the pid numbers in two pid namespaces. Zero
 * inode: no stack. Filling it needs ig's user_stack_map.h, which gadgetc
 * does not ship; the layout is here so that events can carry it.
 */
struct gadget_user_stack {
	__u32 major;
	__u32 minor;
	__u64 inode;
	__u64 mtime_sec;
	__u32 mtime_nsec;
	__u32 base_addr_hash;
	__u32 stack_id;
	__u32 tgid_level0;
	__u32 pid_level0;
	__u32 pidns_level0;
	__u32 pid_level1;
	__u32 pidns_level1;
	__u64 otel_correlation_id;
	__u64 boot_timestamp;
};

#endif /* GADGETC_GADGET_TYPES_H */
