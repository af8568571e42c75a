import CLibbpf
import Foundation

/// Writes vmlinux.h from a kernel's BTF with libbpf's btf_dump, the same text as
/// `bpftool btf dump file BTF format c` (bpftool 7.1 / libbpf 1.1): every type in id order inside
/// an include guard, and records marked preserve_access_index for CO-RE unless the includer
/// defines BPF_NO_PRESERVE_ACCESS_INDEX.
public enum VmlinuxHeader {
    /// `btfPath` is raw BTF (/sys/kernel/btf/vmlinux) or an ELF with a .BTF section (a vmlinux).
    /// The header appears whole or not at all (temporary sibling, then rename).
    public static func generate(fromBTF btfPath: URL, to output: URL) throws {
        guard FileManager.default.fileExists(atPath: btfPath.path) else {
            throw BPFError.missingFile(.generateVmlinuxHeader, btfPath, role: "BTF file")
        }
        try LibbpfSession.run { session in
            guard let btf = btf__parse(btfPath.path, nil) else {
                let code = errno
                throw BPFError(
                    .generateVmlinuxHeader, file: btfPath.path,
                    reason: "not readable as BTF (\(BPFError.describe(errno: code)))",
                    remedy: "pass raw BTF such as /sys/kernel/btf/vmlinux or an ELF with a .BTF section",
                    code: code, libbpfMessages: session.collect())
            }
            defer { btf__free(btf) }

            let temporary = AtomicFile.temporarySibling(of: output)
            do {
                try write(btf, to: temporary, source: btfPath, session: &session)
                try AtomicFile.replace(output, with: temporary)
            } catch {
                unlink(temporary.path)
                if error is BPFError { throw error }
                throw BPFError(
                    .generateVmlinuxHeader, file: btfPath.path,
                    reason: "cannot move the header into place at \(output.path) (\(error))")
            }
        }
    }

    private static let prologue = """
        #ifndef __VMLINUX_H__
        #define __VMLINUX_H__

        #ifndef BPF_NO_PRESERVE_ACCESS_INDEX
        #pragma clang attribute push (__attribute__((preserve_access_index)), apply_to = record)
        #endif


        """

    private static let epilogue = """
        #ifndef BPF_NO_PRESERVE_ACCESS_INDEX
        #pragma clang attribute pop
        #endif

        #endif /* __VMLINUX_H__ */

        """

    private static func write(_ btf: OpaquePointer, to temporary: URL, source: URL, session: inout LibbpfSession) throws {
        guard let file = fopen(temporary.path, "w") else {
            let code = errno
            throw BPFError(
                .generateVmlinuxHeader, file: source.path,
                reason: "cannot write \(temporary.deletingLastPathComponent().path) (\(BPFError.describe(errno: code)))",
                code: code)
        }
        var closed = false
        defer { if !closed { fclose(file) } }
        fchmod(fileno(file), 0o644)  // a cache file, whatever the umask (as every other one)
        setvbuf(file, nil, _IOFBF, 1 << 20)
        fputs(prologue, file)

        // btf_dump prints through this callback with printf-style formats; the context is the FILE.
        let printer: btf_dump_printf_fn_t = { context, format, arguments in
            guard let context, let format, let arguments else { return }
            vfprintf(context.assumingMemoryBound(to: FILE.self), format, arguments)
        }
        guard let dump = btf_dump__new(btf, printer, UnsafeMutableRawPointer(file), nil) else {
            let code = errno
            throw BPFError(
                .generateVmlinuxHeader, file: source.path,
                reason: "btf_dump__new failed (\(BPFError.describe(errno: code)))", code: code,
                libbpfMessages: session.collect())
        }
        defer { btf_dump__free(dump) }
        let count = btf__type_cnt(btf)
        for id in 1..<max(count, 1) {
            let result = btf_dump__dump_type(dump, id)
            if result < 0 {
                throw BPFError(
                    .generateVmlinuxHeader, file: source.path,
                    reason: "dumping BTF type \(id) failed (\(BPFError.describe(errno: -result)))",
                    code: -result, libbpfMessages: session.collect())
            }
        }
        fputs(epilogue, file)
        let failed = fflush(file) != 0 || ferror(file) != 0
        let code = errno
        closed = true
        if fclose(file) != 0 || failed {
            throw BPFError(
                .generateVmlinuxHeader, file: source.path,
                reason: "writing \(temporary.path) failed (\(BPFError.describe(errno: code)))", code: code)
        }
    }
}
