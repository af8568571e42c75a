#!/bin/bash
# Compile every sample gadget in bpf/gadgets/ for amd64 and arm64 with each
# given clang, the way gadgetc's driver does (from the gadget's folder, no
# vmlinux.h, compat overlay first), link multi-file gadgets with
# `bpftool gen object`, and load the amd64 objects into the running kernel
# (needs root and a loader: LOADER=path to a program that opens and loads
# an object with libbpf; without it, `bpftool prog loadall` is used).
# Usage: bpf/verify.sh [clang...]    (default: clang-16 and clang)
set -u
here=$(cd "$(dirname "$0")" && pwd)
out=${OUT:-/tmp/gadgetc-bpf-verify}
triple=$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
clangs=("$@"); [ ${#clangs[@]} -eq 0 ] && clangs=(clang-16 clang)
fail=0
mkdir -p "$out"
for g in "$here"/gadgets/*/; do
	name=$(basename "$g")
	for cc in "${clangs[@]}"; do
		tag=$(basename "$cc")
		for arch in amd64 arm64; do
			case $arch in amd64) t=x86;; arm64) t=arm64;; esac
			objs=()
			for src in program.bpf.c $(cd "$g" && ls *.bpf.c | grep -vx program.bpf.c); do
				o="$out/$name.$tag.$arch.${src%.bpf.c}.o"
				msg=$(cd "$g" && "$cc" -target bpf -Wall -g -O2 -I/usr/include/$triple \
					-D __TARGET_ARCH_$t -c "$src" -I "$here/compat" -I "$here/include" -o "$o" 2>&1)
				if [ $? -ne 0 ] || [ -n "$msg" ]; then
					echo "FAIL compile $name/$src $tag $arch"; echo "$msg"; fail=1
				fi
				objs+=("$o")
			done
			final="$out/$name.$tag.$arch.bpf.o"
			if ! bpftool gen object "$final" "${objs[@]}"; then
				echo "FAIL link $name $tag $arch"; fail=1; continue
			fi
			echo "ok   compile+link $name $tag $arch"
			if [ $arch = amd64 ]; then
				if [ -n "${LOADER:-}" ]; then
					"$LOADER" "$final" || { echo "FAIL load $name $tag"; fail=1; }
				else
					mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
					pin=/sys/fs/bpf/gadgetc_verify_$$
					if bpftool prog loadall "$final" "$pin"; then
						echo "ok   verifier $name $tag"
					else
						echo "FAIL load $name $tag"; fail=1
					fi
					rm -rf "$pin"
				fi
			fi
		done
	done
done
exit $fail
