/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gadgetc gadget headers: common event filters.
 *
 * Declares the parameters targ_pid, targ_tid, targ_uid, targ_gid and
 * targ_comm (user space names: pid = tgid, tid = kernel pid) plus the
 * mount namespace filter, and helpers that answer "drop this event?".
 * A gadget including this header should list the five parameters under
 * params.ebpf in its gadget.yaml.
 */
#ifndef GADGETC_GADGET_FILTER_H
#define GADGETC_GADGET_FILTER_H

#ifndef __VMLINUX_H__
#include <stdbool.h>
#endif
#include <bpf/bpf_helpers.h>
#include <gadget/macros.h>
#include <gadget/types.h>
#include <gadget/mntns_filter.h>

/* "no uid/gid filter": (uid_t)-1 is never a valid id */
#define GADGET_INVALID_ID ((gadget_uid)-1)

const volatile gadget_pid targ_pid = 0;
GADGET_PARAM(targ_pid);

const volatile gadget_tid targ_tid = 0;
GADGET_PARAM(targ_tid);

const volatile gadget_uid targ_uid = GADGET_INVALID_ID;
GADGET_PARAM(targ_uid);

const volatile gadget_gid targ_gid = GADGET_INVALID_ID;
GADGET_PARAM(targ_gid);

const volatile gadget_comm targ_comm[TASK_COMM_LEN] = {};
GADGET_PARAM(targ_comm);

static __always_inline bool gadget_should_discard_pid(gadget_pid pid)
{
	return targ_pid && pid != targ_pid;
}

static __always_inline bool gadget_should_discard_tid(gadget_tid tid)
{
	return targ_tid && tid != targ_tid;
}

static __always_inline bool gadget_should_discard_uid(gadget_uid uid)
{
	return targ_uid != GADGET_INVALID_ID && uid != targ_uid;
}

static __always_inline bool gadget_should_discard_gid(gadget_gid gid)
{
	return targ_gid != GADGET_INVALID_ID && gid != targ_gid;
}

/* Compares up to the first NUL of targ_comm; empty targ_comm keeps all. */
static __always_inline bool gadget_should_discard_comm(const gadget_comm *comm)
{
	if (!targ_comm[0])
		return false;
#pragma unroll
	for (int i = 0; i < TASK_COMM_LEN; i++) {
		if (comm[i] != targ_comm[i])
			return true;
		if (!comm[i])
			break;
	}
	return false;
}

/* All filters against explicitly given values. */
static __always_inline bool
gadget_should_discard_data(gadget_mntns_id mntns_id, gadget_pid pid,
			   gadget_tid tid, const gadget_comm *comm,
			   gadget_uid uid, gadget_gid gid)
{
	return gadget_should_discard_mntns_id(mntns_id) ||
	       gadget_should_discard_pid(pid) ||
	       gadget_should_discard_tid(tid) ||
	       gadget_should_discard_uid(uid) ||
	       gadget_should_discard_gid(gid) ||
	       gadget_should_discard_comm(comm);
}

/*
 * All filters against the current task. Reads each value only when its
 * filter is enabled, so disabled filters cost nothing after the verifier
 * has pruned the dead branches.
 */
static __always_inline bool gadget_should_discard_data_current(void)
{
	if (gadget_should_discard_mntns_id(gadget_get_current_mntns_id()))
		return true;

	if (targ_pid || targ_tid) {
		__u64 pid_tgid = bpf_get_current_pid_tgid();

		if (gadget_should_discard_pid(pid_tgid >> 32) ||
		    gadget_should_discard_tid((__u32)pid_tgid))
			return true;
	}

	if (targ_uid != GADGET_INVALID_ID || targ_gid != GADGET_INVALID_ID) {
		__u64 uid_gid = bpf_get_current_uid_gid();

		if (gadget_should_discard_uid((__u32)uid_gid) ||
		    gadget_should_discard_gid(uid_gid >> 32))
			return true;
	}

	if (targ_comm[0]) {
		char comm[TASK_COMM_LEN];

		bpf_get_current_comm(comm, sizeof(comm));
		if (gadget_should_discard_comm(comm))
			return true;
	}

	return false;
}

#endif /* GADGETC_GADGET_FILTER_H */
