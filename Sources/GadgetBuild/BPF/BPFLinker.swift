import CLibbpf
import Foundation

/// libbpf's static linker (what `bpftool gen object` runs): resolves extern functions, maps and
/// variables across objects, drops DWARF, deduplicates BTF. The output's BTF is then put in canonical
/// order (`BTFCanonicaliser`), so the bytes depend on the inputs' code and type graph, not on the
/// order clang emitted types in (which a precompiled header changes).
public enum BPFLinker {
    /// Links `inputs` (in order) into `output`. The output appears whole or not at all: libbpf
    /// writes a temporary sibling that is renamed over `output` once finalized. `pathMap` rewrites
    /// the source file paths BTF line info records (`DebugPathMapping`); empty, they stay as clang
    /// recorded them and the canonicaliser keeps the linker's section sizes.
    public static func link(_ inputs: [URL], into output: URL, pathMap: [DebugPathMapping] = []) throws {
        guard !inputs.isEmpty else {
            throw BPFError(.link, file: output.path, reason: "no input objects", remedy: "pass at least one .bpf.o")
        }
        for input in inputs { try BPFError.checkELF(input, for: .link) }

        try LibbpfSession.run { session in
            let temporary = AtomicFile.temporarySibling(of: output)
            do {
                try linkFiles(inputs, into: temporary, output: output, session: &session)
                _ = try BTFCanonicaliser.rewrite(temporary, reportingAs: output, pathMap: pathMap, session: &session)
                try AtomicFile.replace(output, with: temporary)
            } catch {
                unlink(temporary.path)
                if error is BPFError { throw error }
                throw BPFError(.link, file: output.path, reason: "cannot move the linked object into place (\(error))")
            }
        }
    }

    private static func linkFiles(
        _ inputs: [URL], into temporary: URL, output: URL, session: inout LibbpfSession
    ) throws {
        guard let linker = bpf_linker__new(temporary.path, nil) else {
            let code = errno
            throw BPFError(
                .link, file: output.path, reason: "cannot create the output (\(BPFError.describe(errno: code)))",
                remedy: "check that its folder exists and is writable", code: code, libbpfMessages: session.collect())
        }
        defer { bpf_linker__free(linker) }
        for input in inputs {
            let result = bpf_linker__add_file(linker, input.path, nil)
            if result != 0 {
                let messages = session.collect()
                throw BPFError(
                    .link, file: output.path,
                    reason: "adding \(input.lastPathComponent): "
                        + BPFError.reason(messages, code: -result, otherwise: "libbpf refused it"),
                    remedy: remedy(for: messages), code: -result, libbpfMessages: messages)
            }
        }
        let result = bpf_linker__finalize(linker)
        if result != 0 {
            let messages = session.collect()
            throw BPFError(
                .link, file: output.path,
                reason: "finalizing: " + BPFError.reason(messages, code: -result, otherwise: "libbpf failed"),
                remedy: remedy(for: messages), code: -result, libbpfMessages: messages)
        }
    }

    private static func remedy(for messages: [String]) -> String? {
        let text = messages.joined(separator: "\n")
        if text.contains("BTF") && (text.contains("missing") || text.contains("no BTF")) {
            return "compile every input with -g so that it carries BTF"
        }
        if text.contains("conflicting") || text.contains("duplicate") || text.contains("multiple definition") {
            return "a symbol is defined in more than one input: make one of them static or extern"
        }
        if text.contains("unresolved") || text.contains("extern") {
            return "an extern has no matching definition (or the types differ) in the other inputs"
        }
        return nil
    }
}
