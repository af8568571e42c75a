/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gadgetc compatibility overlay for <bpf/bpf_tracing.h>.
 *
 * Used only when the host's libbpf headers are older than 1.3 (gadgetc puts
 * -I <repo>/bpf/compat in front of the system include path then). It first
 * includes the host's real header and afterwards defines, each under its
 * own #ifndef, the macros that newer libbpf headers provide and gadgets
 * use: BPF_UPROBE, BPF_URETPROBE, the sixth argument accessors
 * PT_REGS_PARM6{,_CORE}{,_SYSCALL} (x86-64, arm64), arguments 7 and 8 on
 * arm64, and BPF_KPROBE/BPF_UPROBE/BPF_KSYSCALL with more than five
 * arguments. Nothing is redefined when the host header already has it.
 */
#ifndef GADGETC_COMPAT_BPF_TRACING_H
#define GADGETC_COMPAT_BPF_TRACING_H

#include_next <bpf/bpf_tracing.h>

/* ---- register names of arguments 6..8, per architecture ---- */
#if defined(bpf_target_x86)
/* x86-64: the sixth argument lives in r9, for functions and syscalls
 * alike, and the field is called r9 in both the kernel's and the UAPI
 * struct pt_regs. There are no register arguments beyond six. */
# if !defined(__i386__) && !defined(__PT_PARM6_REG)
#  define __PT_PARM6_REG r9
# endif
#elif defined(bpf_target_arm64)
/* arm64: x0..x7 carry arguments 1..8 (struct user_pt_regs.regs[0..7]);
 * syscalls pass arguments 2..6 in x1..x5 as well (argument 1 is read
 * from orig_x0, which the host header already handles). */
# ifndef __PT_PARM6_REG
#  define __PT_PARM6_REG regs[5]
# endif
# ifndef __PT_PARM7_REG
#  define __PT_PARM7_REG regs[6]
# endif
# ifndef __PT_PARM8_REG
#  define __PT_PARM8_REG regs[7]
# endif
#endif

#if defined(bpf_target_defined)

/* CO-RE read of one 8-byte register field (x86-64 and arm64 registers are
 * all 8 bytes). Reads into a plain local instead of going through
 * BPF_CORE_READ, whose temporary would inherit the const of
 * __PT_REGS_CAST() and make clang >= 21 warn on arm64. */
#define __gadgetc_core_reg(x, reg) ({                                        \
	unsigned long ___gadgetc_reg = 0;                                    \
	bpf_core_read(&___gadgetc_reg, sizeof(___gadgetc_reg),               \
		      &__PT_REGS_CAST(x)->reg);                              \
	___gadgetc_reg;                                                      \
})

#if defined(__PT_PARM6_REG)
# ifndef PT_REGS_PARM6
#  define PT_REGS_PARM6(x) (__PT_REGS_CAST(x)->__PT_PARM6_REG)
# endif
# ifndef PT_REGS_PARM6_CORE
#  define PT_REGS_PARM6_CORE(x) __gadgetc_core_reg(x, __PT_PARM6_REG)
# endif
/* On x86-64 and arm64 the sixth syscall argument is where the sixth
 * function argument is. */
# ifndef PT_REGS_PARM6_SYSCALL
#  define PT_REGS_PARM6_SYSCALL(x) PT_REGS_PARM6(x)
# endif
# ifndef PT_REGS_PARM6_CORE_SYSCALL
#  define PT_REGS_PARM6_CORE_SYSCALL(x) PT_REGS_PARM6_CORE(x)
# endif
#endif /* __PT_PARM6_REG */

#if defined(__PT_PARM7_REG)
# ifndef PT_REGS_PARM7
#  define PT_REGS_PARM7(x) (__PT_REGS_CAST(x)->__PT_PARM7_REG)
# endif
# ifndef PT_REGS_PARM7_CORE
#  define PT_REGS_PARM7_CORE(x) __gadgetc_core_reg(x, __PT_PARM7_REG)
# endif
#endif

#if defined(__PT_PARM8_REG)
# ifndef PT_REGS_PARM8
#  define PT_REGS_PARM8(x) (__PT_REGS_CAST(x)->__PT_PARM8_REG)
# endif
# ifndef PT_REGS_PARM8_CORE
#  define PT_REGS_PARM8_CORE(x) __gadgetc_core_reg(x, __PT_PARM8_REG)
# endif
#endif

#else /* !bpf_target_defined: fail at the point of use, as libbpf does */

# ifndef PT_REGS_PARM6
#  define PT_REGS_PARM6(x) ({ _Pragma(__BPF_TARGET_MISSING); 0l; })
# endif
# ifndef PT_REGS_PARM6_CORE
#  define PT_REGS_PARM6_CORE(x) ({ _Pragma(__BPF_TARGET_MISSING); 0l; })
# endif
# ifndef PT_REGS_PARM6_SYSCALL
#  define PT_REGS_PARM6_SYSCALL(x) ({ _Pragma(__BPF_TARGET_MISSING); 0l; })
# endif
# ifndef PT_REGS_PARM6_CORE_SYSCALL
#  define PT_REGS_PARM6_CORE_SYSCALL(x) ({ _Pragma(__BPF_TARGET_MISSING); 0l; })
# endif

#endif /* bpf_target_defined */

/* ---- more than five named arguments in BPF_KPROBE and friends ----
 * The host header's BPF_KPROBE picks ___bpf_kprobe_args<N> by argument
 * count when it is expanded, so supplying the higher-numbered steps here
 * is enough to extend it. */
#ifndef ___bpf_kprobe_args6
# define ___bpf_kprobe_args6(x, args...) ___bpf_kprobe_args5(args), (void *)PT_REGS_PARM6(ctx)
#endif
#ifndef ___bpf_kprobe_args7
# define ___bpf_kprobe_args7(x, args...) ___bpf_kprobe_args6(args), (void *)PT_REGS_PARM7(ctx)
#endif
#ifndef ___bpf_kprobe_args8
# define ___bpf_kprobe_args8(x, args...) ___bpf_kprobe_args7(args), (void *)PT_REGS_PARM8(ctx)
#endif
#ifndef ___bpf_syscall_args6
# define ___bpf_syscall_args6(x, args...) ___bpf_syscall_args5(args), (void *)PT_REGS_PARM6_SYSCALL(regs)
#endif
#ifndef ___bpf_syswrap_args6
# define ___bpf_syswrap_args6(x, args...) ___bpf_syswrap_args5(args), (void *)PT_REGS_PARM6_CORE_SYSCALL(regs)
#endif

/* ---- user space probes: same argument handling as kernel probes ---- */
#ifndef BPF_UPROBE
# define BPF_UPROBE(name, args...) BPF_KPROBE(name, ##args)
#endif
#ifndef BPF_URETPROBE
# define BPF_URETPROBE(name, args...) BPF_KRETPROBE(name, ##args)
#endif

#endif /* GADGETC_COMPAT_BPF_TRACING_H */
