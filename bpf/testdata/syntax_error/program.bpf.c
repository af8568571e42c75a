// SPDX-License-Identifier: GPL-2.0
/* Deliberately broken: line 12 lacks the ';' after the return value. */
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("tp_btf/sched_process_exec")
int broken(void *ctx)
{
	__u32 pid = bpf_get_current_pid_tgid() >> 32;

	return pid == 1 ? 1 : 0
}

char LICENSE[] SEC("license") = "GPL";
