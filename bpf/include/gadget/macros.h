/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gadgetc gadget headers: metadata markers.
 *
 * A marker is a global `const void *` variable whose *name* carries the
 * metadata; the build tooling (gadgetc, ig) reads the names back from the
 * object's BTF. The variables are never read by the program. Triple
 * underscores separate the parts of a name, so parts must not contain "___".
 *
 * Names match the markers Inspektor Gadget understands:
 *   gadget_tracer_<name>___<map>___<struct>
 *   gadget_iter_<name>___<struct>___<prog>[___<prog>...]
 *   gadget_snapshotter_<name>___<struct>___<prog>[___<prog>...] (older form)
 *   gadget_mapelem_iter_target_<prog>___<map>
 *   gadget_mapiter_<name>___<map>
 *   gadget_param_<variable>
 */
#ifndef GADGETC_GADGET_MACROS_H
#define GADGETC_GADGET_MACROS_H

#define __gadgetc_join2(a, b) a##b
#define __gadgetc_join(a, b) __gadgetc_join2(a, b)
/* number of variadic arguments, 1..3 */
#define __gadgetc_nargs_pick(_a, _b, _c, n, ...) n
#define __gadgetc_nargs(...) __gadgetc_nargs_pick(__VA_ARGS__, 3, 2, 1, 0)

/*
 * GADGET_TRACER(name, map, type): the ring buffer (or perf event array)
 * `map` carries events of type `struct type` to user space. The second
 * variable only exists so that `struct type` is kept in the object's BTF
 * even when the program never names it in a way the compiler records.
 */
#define GADGET_TRACER(name, map, type)                                     \
	const void *gadget_tracer_##name##___##map##___##type              \
		__attribute__((unused));                                   \
	const struct type *__gadget_tracer_type_##name                     \
		__attribute__((unused));

/*
 * GADGET_MAPITER(name, map): user space periodically reads the hash map
 * `map` (struct key, struct value) and turns its entries into a data source.
 */
#define GADGET_MAPITER(name, map)                                          \
	const void *gadget_mapiter_##name##___##map __attribute__((unused));

/*
 * GADGET_PARAM(var): the `const volatile` global `var` is a parameter that
 * user space may set before the object is loaded (see params.ebpf in
 * gadget.yaml).
 */
#define GADGET_PARAM(var)                                                  \
	const void *gadget_param_##var __attribute__((unused));

/*
 * GADGET_SNAPSHOTTER(name, type, prog1[, prog2[, prog3]]): the iterator
 * programs prog1..prog3 (SEC("iter/...")) each write `struct type` records;
 * their union is the snapshot.
 */
#define __gadgetc_snap_1(name, type, p1)                                   \
	const void *gadget_snapshotter_##name##___##type##___##p1          \
		__attribute__((unused));
#define __gadgetc_snap_2(name, type, p1, p2)                               \
	const void *gadget_snapshotter_##name##___##type##___##p1##___##p2 \
		__attribute__((unused));
#define __gadgetc_snap_3(name, type, p1, p2, p3)                           \
	const void                                                         \
		*gadget_snapshotter_##name##___##type##___##p1##___##p2##___##p3 \
		__attribute__((unused));
#define GADGET_SNAPSHOTTER(name, type, ...)                                \
	const struct type *__gadget_snapshotter_type_##name##___##type     \
		__attribute__((unused));                                   \
	__gadgetc_join(__gadgetc_snap_, __gadgetc_nargs(__VA_ARGS__))(     \
		name, type, __VA_ARGS__)

/*
 * GADGET_ITER(name, type, prog...): the data source `name` is made of the
 * `struct type` records that the iterator programs (SEC("iter/...")) write.
 * Inspektor Gadget's current marker; GADGET_SNAPSHOTTER is its older form.
 */
#define __gadgetc_iter_1(name, type, p1)                                   \
	const void *gadget_iter_##name##___##type##___##p1 __attribute__((unused));
#define __gadgetc_iter_2(name, type, p1, p2)                               \
	const void *gadget_iter_##name##___##type##___##p1##___##p2        \
		__attribute__((unused));
#define __gadgetc_iter_3(name, type, p1, p2, p3)                           \
	const void *gadget_iter_##name##___##type##___##p1##___##p2##___##p3 \
		__attribute__((unused));
#define GADGET_ITER(name, type, ...)                                       \
	const struct type *__gadget_iter_type_##name##___##type            \
		__attribute__((unused));                                   \
	__gadgetc_join(__gadgetc_iter_, __gadgetc_nargs(__VA_ARGS__))(     \
		name, type, __VA_ARGS__)

/*
 * GADGET_ITER_TARGET_MAP(prog, map): the iterator program `prog`, in
 * SEC("iter/bpf_map_elem"), walks the elements of `map`; ig passes the map
 * when it attaches the program.
 */
#define GADGET_ITER_TARGET_MAP(prog, map)                                  \
	const void *gadget_mapelem_iter_target_##prog##___##map             \
		__attribute__((unused));

#endif /* GADGETC_GADGET_MACROS_H */
