// SPDX-License-Identifier: GPL-2.0
/* A valid program: the failure is in build.yaml (cflags: is not allowed). */
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("tp_btf/sched_process_exec")
int unknown_key(void *ctx)
{
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
