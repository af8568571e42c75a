import Foundation

/// A precompiled vmlinux.h for one (compiler, arch, vmlinux.h file, flags), shared by every gadget.
/// Parsing vmlinux.h is about three quarters of a compile; with the PCH a compile takes about half
/// as long and emits the same code, but the BTF types in another order (clang 16 and 21 alike; the
/// review saw clang 16's order also vary with address-space layout). So a compile's object depends
/// on the PCH, and "which PCH" is part of every compile's cache key through its argv; the linked
/// object does not: `BPFLinker` renumbers its BTF in a canonical order (`BTFCanonicaliser`), so
/// objects and images are the same bytes with the PCH and without it.
public struct PrecompiledHeader: Codable, Hashable, Sendable {
    public var key: String
    public var arch: Architecture
    /// The vmlinux.h it is built from.
    public var header: String
    /// Where the PCH lives in the cache.
    public var output: String
    /// The clang command that builds it.
    public var invocation: ClangInvocation
    /// Added to gadgetc's environment for that command.
    public var environment: [String: String]?

    /// Plans the PCH for `arch`, or nil when vmlinux.h is not a file on disk yet.
    public static func plan(compiler: ClangCompiler, arch: Architecture, vmlinux: VmlinuxSource, layout: IncludeLayout, cache: CacheLocation) -> PrecompiledHeader? {
        guard vmlinux.kind == .file, let fingerprint = vmlinux.fingerprint else { return nil }
        let header = "\(vmlinux.includeDirectory)/vmlinux.h"
        var invocation = ClangInvocation(clang: compiler.path, arch: arch, multiarchDirectory: layout.multiarchDirectory,
                                         action: .precompileHeader(header: header))
        // The flags that change how vmlinux.h is parsed or what debug info it yields: ig's, minus the source.
        let key = ContentDigest.hex((["pch", GadgetcVersion.string, compiler.identity, arch.rawValue, header, fingerprint]
                                     + invocation.languageFlags).joined(separator: "\u{0}"))
        invocation.output = cache.folder("pch").appendingPathComponent("\(key.prefix(24))-\(arch).pch").path
        return PrecompiledHeader(key: key, arch: arch, header: header, output: invocation.output ?? "", invocation: invocation)
    }

    /// The command line that builds it.
    public var argv: [String] { invocation.arguments }

    /// The command line without its `-o`: `PrecompiledHeaderSeal` names a temporary file there.
    public var argvWithoutOutput: [String] { invocation.arguments(output: nil, depfile: nil) }

    /// Whether a source can take the PCH: its first preprocessor include must be vmlinux.h, with
    /// nothing but conditionals before it (a #define before it could change how vmlinux.h parses).
    public static func sourceStartsWithVmlinux(_ text: String) -> Bool {
        var inBlockComment = false
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: true) {
            var line = rawLine.trimmingCharacters(in: .whitespaces)
            if inBlockComment {
                guard let end = line.range(of: "*/") else { continue }
                line = String(line[end.upperBound...]).trimmingCharacters(in: .whitespaces)
                inBlockComment = false
            }
            while line.hasPrefix("/*") {
                guard let end = line.range(of: "*/") else { inBlockComment = true; line = ""; break }
                line = String(line[end.upperBound...]).trimmingCharacters(in: .whitespaces)
            }
            if line.isEmpty || line.hasPrefix("//") { continue }
            guard line.hasPrefix("#") else { return false }
            let directive = line.dropFirst().trimmingCharacters(in: .whitespaces)
            if directive.hasPrefix("include") {
                let target = directive.dropFirst("include".count).trimmingCharacters(in: .whitespaces)
                return target.hasPrefix("<vmlinux.h>") || target.hasPrefix("\"vmlinux.h\"")
            }
            guard directive.hasPrefix("if") else { return false }  // #if, #ifdef, #ifndef only
        }
        return false
    }
}
