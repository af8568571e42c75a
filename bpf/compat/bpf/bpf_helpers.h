/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gadgetc compatibility overlay for <bpf/bpf_helpers.h>.
 *
 * Used only with host libbpf headers older than 1.3. Includes the host's
 * header, then adds (each under #ifndef) the annotations and macros that
 * newer headers have: bpf_ksym_exists, __kptr_untrusted, __percpu_kptr,
 * __contains, __arg_* tags, and the open-coded iterator loops bpf_for,
 * bpf_repeat and bpf_for_each (with the bpf_iter_num_* kfunc declarations).
 */
#ifndef GADGETC_COMPAT_BPF_HELPERS_H
#define GADGETC_COMPAT_BPF_HELPERS_H

#include_next <bpf/bpf_helpers.h>

/* ---- BTF tags and attributes ---- */
#ifndef __kptr_untrusted
# define __kptr_untrusted __attribute__((btf_type_tag("kptr_untrusted")))
#endif
#ifndef __percpu_kptr
# define __percpu_kptr __attribute__((btf_type_tag("percpu_kptr")))
#endif
/* Marks a graph root (list head, rbtree root) with its node type/field. */
#ifndef __contains
# define __contains(name, node) \
	__attribute__((btf_decl_tag("contains:" #name ":" #node)))
#endif
/* Argument tags for global functions (recent kernels and compilers). */
#ifndef __arg_ctx
# define __arg_ctx __attribute__((btf_decl_tag("arg:ctx")))
#endif
#ifndef __arg_nonnull
# define __arg_nonnull __attribute__((btf_decl_tag("arg:nonnull")))
#endif
#ifndef __arg_nullable
# define __arg_nullable __attribute__((btf_decl_tag("arg:nullable")))
#endif
#ifndef __arg_trusted
# define __arg_trusted __attribute__((btf_decl_tag("arg:trusted")))
#endif

/*
 * bpf_ksym_exists(sym): true when the weak __ksym `sym` was found in the
 * running kernel. `sym` must be declared __weak, so that it is not a
 * compile-time constant; the static assertion rejects anything else.
 */
#ifndef bpf_ksym_exists
# define bpf_ksym_exists(sym) ({                                           \
	_Static_assert(!__builtin_constant_p(!!(sym)),                     \
		       #sym " must be a __weak __ksym (or __kconfig)");    \
	!!(sym);                                                           \
})
#endif

/* ---- open-coded iterators (kernel >= 6.4) ----
 * The loop macros need the complete `struct bpf_iter_num` (8 bytes,
 * 8-aligned) and friends, which come from <vmlinux.h> or from
 * <linux/bpf.h> of kernel 6.4 or newer; with only older UAPI headers the
 * macros are available but a gadget using them does not compile. */
#ifndef bpf_for_each
struct bpf_iter_num;
extern int bpf_iter_num_new(struct bpf_iter_num *it, int start, int end) __weak __ksym;
extern int *bpf_iter_num_next(struct bpf_iter_num *it) __weak __ksym;
extern void bpf_iter_num_destroy(struct bpf_iter_num *it) __weak __ksym;

/*
 * bpf_for_each(type, cur, args...): iterate with the kernel's
 * bpf_iter_<type>_{new,next,destroy} kfuncs; `cur` is a fresh variable
 * holding each element. The iterator is destroyed when the loop's scope
 * is left (cleanup attribute).
 */
# define bpf_for_each(type, cur, args...)                                  \
	for (struct bpf_iter_##type ___gadgetc_it                          \
		__attribute__((aligned(8), cleanup(bpf_iter_##type##_destroy))), \
	     *___gadgetc_tmp = (                                           \
		bpf_iter_##type##_new(&___gadgetc_it, ##args),             \
		(void *)0);                                                \
	     (((cur) = bpf_iter_##type##_next(&___gadgetc_it)));           \
	     (void)___gadgetc_tmp)
#endif /* bpf_for_each */

#ifndef bpf_for
/* bpf_for(i, start, end): i runs over [start, end) with a verifier-known
 * range, without unrolling. `i` must be an int declared by the caller. */
# define bpf_for(i, start, end)                                            \
	for (struct bpf_iter_num ___gadgetc_it                             \
		__attribute__((aligned(8), cleanup(bpf_iter_num_destroy))), \
	     *___gadgetc_p = (                                             \
		bpf_iter_num_new(&___gadgetc_it, (start), (end)),          \
		(void)bpf_iter_num_destroy, (void *)0);                    \
	     ({                                                            \
		int *___gadgetc_t = bpf_iter_num_next(&___gadgetc_it);     \
		(___gadgetc_t && ((i) = *___gadgetc_t, (i) >= (start) && (i) < (end))); \
	     });                                                           \
	     (void)___gadgetc_p)
#endif

#ifndef bpf_repeat
/* bpf_repeat(n): run the body n times (the body may break out early). */
# define bpf_repeat(n)                                                     \
	for (struct bpf_iter_num ___gadgetc_it                             \
		__attribute__((aligned(8), cleanup(bpf_iter_num_destroy))), \
	     *___gadgetc_p = (                                             \
		bpf_iter_num_new(&___gadgetc_it, 0, (n)),                  \
		(void)bpf_iter_num_destroy, (void *)0);                    \
	     bpf_iter_num_next(&___gadgetc_it);                            \
	     (void)___gadgetc_p)
#endif

#endif /* GADGETC_COMPAT_BPF_HELPERS_H */
