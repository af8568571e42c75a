#pragma once
// libbpf's public API as gadgetc uses it: object open/load/inspect, the static linker, BTF and btf_dump.
#include <bpf/libbpf.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf_version.h>
// zlib (linked statically for libbpf already): gzip for the btfgen layer.
#include <zlib.h>
