/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gadgetc compatibility overlay for <bpf/bpf_core_read.h>.
 *
 * Used only with host libbpf headers older than 1.3. Includes the host's
 * header and adds, each under #ifndef, BPF_CORE_WRITE_BITFIELD and
 * bpf_core_cast.
 */
#ifndef GADGETC_COMPAT_BPF_CORE_READ_H
#define GADGETC_COMPAT_BPF_CORE_READ_H

#include_next <bpf/bpf_core_read.h>

/*
 * BPF_CORE_WRITE_BITFIELD(s, field, new_val): store new_val into the
 * bitfield `field` of *s (direct memory access, e.g. in struct_ops or on
 * local copies), with the position and width relocated against the
 * running kernel. Read-modify-write of the 8-byte word holding the field.
 */
#ifndef BPF_CORE_WRITE_BITFIELD
/* LSHIFT_U64/RSHIFT_U64 describe the read "load the storage unit into a
 * u64, shift left by lshift, then right by rshift" (little-endian BPF
 * targets). So the field is (64 - rshift) bits wide and starts at bit
 * (rshift - lshift) of the storage unit. */
# define BPF_CORE_WRITE_BITFIELD(s, field, new_val) ({                     \
	void *___gw_p = (void *)(s) + __CORE_RELO(s, field, BYTE_OFFSET);  \
	unsigned int ___gw_bytes = __CORE_RELO(s, field, BYTE_SIZE);       \
	unsigned int ___gw_lsh = __CORE_RELO(s, field, LSHIFT_U64);        \
	unsigned int ___gw_rsh = __CORE_RELO(s, field, RSHIFT_U64);        \
	unsigned int ___gw_pos = ___gw_rsh - ___gw_lsh;                    \
	unsigned long long ___gw_mask, ___gw_v = 0;                        \
	unsigned long long ___gw_n = (unsigned long long)(new_val);        \
	/* keep the compiler from folding the relocated offset away */    \
	asm volatile("" : "+r"(___gw_p));                                  \
	switch (___gw_bytes) {                                             \
	case 1: ___gw_v = *(unsigned char *)___gw_p; break;                \
	case 2: ___gw_v = *(unsigned short *)___gw_p; break;               \
	case 4: ___gw_v = *(unsigned int *)___gw_p; break;                 \
	case 8: ___gw_v = *(unsigned long long *)___gw_p; break;           \
	}                                                                  \
	___gw_mask = ((~0ULL << ___gw_lsh) >> ___gw_rsh) << ___gw_pos;     \
	___gw_v = (___gw_v & ~___gw_mask) | ((___gw_n << ___gw_pos) & ___gw_mask); \
	switch (___gw_bytes) {                                             \
	case 1: *(unsigned char *)___gw_p = ___gw_v; break;                \
	case 2: *(unsigned short *)___gw_p = ___gw_v; break;               \
	case 4: *(unsigned int *)___gw_p = ___gw_v; break;                 \
	case 8: *(unsigned long long *)___gw_p = ___gw_v; break;           \
	}                                                                  \
})
#endif

/*
 * bpf_core_cast(ptr, type): view a kernel pointer as `type *` that the
 * verifier treats as a read-only BTF pointer (kfunc bpf_rdonly_cast,
 * kernel >= 6.2), so fields can be read with plain dereferences.
 */
#ifndef bpf_core_cast
extern void *bpf_rdonly_cast(const void *obj, unsigned int btf_id)
	__attribute__((section(".ksyms"))) __attribute__((weak));
# define bpf_core_cast(ptr, type)                                          \
	((typeof(type) *)bpf_rdonly_cast((ptr), bpf_core_type_id_kernel(type)))
#endif

#endif /* GADGETC_COMPAT_BPF_CORE_READ_H */
