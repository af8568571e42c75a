// SPDX-License-Identifier: GPL-2.0
/*
 * Valid with libbpf >= 1.3 headers or with gadgetc's compat overlay
 * (-I bpf/compat); fails with libbpf 1.1 headers alone, which lack
 * BPF_UPROBE, BPF_URETPROBE, PT_REGS_PARM6 and PT_REGS_PARM6_CORE_SYSCALL.
 * The uprobes have no target binary: the object only needs to compile,
 * open and load, not attach.
 */
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>

#include <gadget/macros.h>
#include <gadget/types.h>
#include <gadget/buffer.h>

/* The register file a uprobe sees, declared per target architecture since
 * there is no vmlinux.h. Field names are those libbpf uses when building
 * without vmlinux.h (UAPI names). */
#if defined(__TARGET_ARCH_x86)
struct pt_regs {
	unsigned long r15, r14, r13, r12, rbp, rbx, r11, r10;
	unsigned long r9, r8, rax, rcx, rdx, rsi, rdi, orig_rax;
	unsigned long rip, cs, eflags, rsp, ss;
};
#elif defined(__TARGET_ARCH_arm64)
struct user_pt_regs {
	__u64 regs[31];
	__u64 sp;
	__u64 pc;
	__u64 pstate;
};
#endif

struct event {
	__u64 args[6];
	__u64 syscall_arg6;
	__s64 retval;
};

GADGET_TRACER_MAP(events, 1024 * 64);
GADGET_TRACER(calls, events, event);

SEC("uprobe")
int BPF_UPROBE(probe_six_args, long a1, long a2, long a3, long a4, long a5,
	       long a6)
{
	struct event *e = gadget_reserve_buf(&events, sizeof(*e));

	if (!e)
		return 0;
	e->args[0] = a1;
	e->args[1] = a2;
	e->args[2] = a3;
	e->args[3] = a4;
	e->args[4] = a5;
	e->args[5] = a6;
	e->syscall_arg6 = PT_REGS_PARM6_CORE_SYSCALL(ctx);
	e->retval = 0;
	gadget_submit_buf(ctx, &events, e, sizeof(*e));
	return 0;
}

SEC("uretprobe")
int BPF_URETPROBE(probe_return, long ret)
{
	struct event *e = gadget_reserve_buf(&events, sizeof(*e));

	if (!e)
		return 0;
	__builtin_memset(e, 0, sizeof(*e));
	e->retval = ret;
	gadget_submit_buf(ctx, &events, e, sizeof(*e));
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
