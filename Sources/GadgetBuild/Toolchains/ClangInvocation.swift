import Foundation

/// A clang command as data: ig's compile line and the commands gadgetc derives from it (the
/// precompiled vmlinux.h, the PCH's syntax check), typed, so that nothing downstream patches an
/// argv by position or finds a flag by searching for its text. `arguments` renders the one command
/// line the planner, the executor, the cache key and `--dry-run` all see.
public struct ClangInvocation: Codable, Hashable, Sendable {
    public enum Action: Codable, Hashable, Sendable {
        /// `-c SOURCE`: compile one eBPF C source to an object.
        case compile(source: String)
        /// `-x c-header HEADER -fpch-validate-input-files-content`: precompile a header.
        case precompileHeader(header: String)
        /// `-fsyntax-only -x c /dev/null`: parse nothing but what the flags bring in (a PCH's check).
        case syntaxCheck
    }

    /// The driver to run (a host path, or `clang` on the builder image's PATH).
    public var clang: String
    public var arch: Architecture
    /// ig's `-I/usr/include/<triple>`, the build host's multiarch folder (ig passes it for every arch).
    public var multiarchDirectory: String
    public var action: Action
    /// `-I DIR` after the source, in search order: the arch's vmlinux.h folder first (with ig's
    /// trailing slash), then gadgetc's additions.
    public var includeDirectories: [String] = []
    /// `-include-pch FILE`, when the compile uses the precompiled vmlinux.h.
    public var precompiledHeader: String?
    /// `-MD -MF FILE`: where clang lists the files it read, when the cache wants to know.
    public var depfile: String?
    /// `-o FILE`.
    public var output: String?

    public init(clang: String, arch: Architecture, multiarchDirectory: String, action: Action, includeDirectories: [String] = [],
                precompiledHeader: String? = nil, depfile: String? = nil, output: String? = nil) {
        self.clang = clang
        self.arch = arch
        self.multiarchDirectory = multiarchDirectory
        self.action = action
        self.includeDirectories = includeDirectories
        self.precompiledHeader = precompiledHeader
        self.depfile = depfile
        self.output = output
    }

    /// ig's compile line (`clang -target bpf -Wall -g -O2 -I/usr/include/<triple> -D __TARGET_ARCH_<x>
    /// -c SRC -I /usr/include/gadget/<arch>/ -o OUT`), with the folders the host needs besides ig's
    /// added after its own -I: -I from the user, gadgetc's libbpf overlay, and the gadget headers' root
    /// when it is not a default search folder.
    public static func igCompile(clang: String, arch: Architecture, source: String, output: String,
                                 vmlinuxDirectory: String?, layout: IncludeLayout) -> ClangInvocation {
        var includes = ["\(vmlinuxDirectory ?? "/usr/include/gadget/\(arch)")/"] + layout.userDirectories
        if let compat = layout.libbpfCompatDirectory { includes.append(compat) }
        if let root = layout.gadgetHeadersRoot, !layout.userDirectories.contains(root) { includes.append(root) }
        return ClangInvocation(clang: clang, arch: arch, multiarchDirectory: layout.multiarchDirectory, action: .compile(source: source),
                               includeDirectories: includes, output: output)
    }

    /// The flags that decide how a header parses and what debug info it yields: ig's, without the source.
    var languageFlags: [String] {
        ["-target", "bpf", "-Wall", "-g", "-O2", "-I\(multiarchDirectory)", "-D", "__TARGET_ARCH_\(arch.targetArchDefine)"]
    }

    public var arguments: [String] { arguments(output: output, depfile: depfile) }

    /// The command line with the output and depfile named as given (the cache key names neither).
    public func arguments(output: String?, depfile: String?) -> [String] {
        var argv = [clang] + languageFlags
        switch action {
        case .compile(let source): argv += ["-c", source]
        case .precompileHeader(let header): argv += ["-x", "c-header", header, "-fpch-validate-input-files-content"]
        case .syntaxCheck: argv += ["-fsyntax-only", "-x", "c", "/dev/null"]
        }
        for folder in includeDirectories { argv += ["-I", folder] }
        if let precompiledHeader { argv += ["-include-pch", precompiledHeader, "-fpch-validate-input-files-content"] }
        if let depfile { argv += ["-MD", "-MF", depfile] }
        if let output { argv += ["-o", output] }
        return argv
    }

    /// What a compile's cache key is made of: every flag, with the output and depfile paths left out
    /// (where the object goes does not change its bytes).
    public var keyArguments: [String] {
        Array(arguments(output: output.map { _ in "<output>" }, depfile: depfile.map { _ in "<depfile>" }).dropFirst())
    }

    /// The source a compile reads.
    public var source: String? {
        if case .compile(let source) = action { return source }
        return nil
    }

    /// A check that the precompiled header works with these flags: the same command on an empty
    /// translation unit, syntax only (~20 ms with the PCH, against ~300 for a compile without it).
    public var precompiledHeaderCheck: ClangInvocation? {
        guard precompiledHeader != nil else { return nil }
        var check = self
        check.action = .syntaxCheck
        check.output = nil
        check.depfile = nil
        return check
    }

    /// The same command without the precompiled header, or nil when it uses none.
    public var withoutPrecompiledHeader: ClangInvocation? {
        guard precompiledHeader != nil else { return nil }
        var copy = self
        copy.precompiledHeader = nil
        return copy
    }
}
