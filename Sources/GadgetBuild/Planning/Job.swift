import Foundation

/// One step of a build, as plain data: what runs, on what, producing what. Planned jobs can be
/// printed (`--dry-run`) and asserted on without running anything.
public struct Job: Codable, Hashable, Sendable {
    public enum Kind: String, Codable, Sendable {
        /// Write vmlinux.h from the kernel's BTF (in-process, libbpf btf_dump).
        case generateVmlinux = "generate-vmlinux"
        /// Compile one eBPF C source for one arch (clang subprocess).
        case compile
        /// Precompile vmlinux.h for one arch (clang subprocess), shared by many compiles.
        case precompileHeader = "precompile-header"
        /// Link an arch's objects into one (in-process, libbpf bpf_linker).
        case link
        /// Open the linked object with libbpf and list its programs, maps and BTF (in-process).
        case check
        /// Load the object into the kernel verifier (in-process, on request).
        case verify
        /// A minimal BTF of the linked object for every kernel of a BTFHub archive (bpftool per kernel,
        /// `--btfgen`), packaged as the arch's btfgen layer. Inputs: the object and the archive's folder.
        case btfgen
    }

    public var kind: Kind
    public var arch: Architecture?
    /// The command line for subprocess jobs; empty for in-process ones.
    public var argv: [String]
    public var workingDirectory: String?
    public var inputs: [String]
    /// Output files, as host paths.
    public var outputs: [String]
    /// Where the command runs: on the host, or inside the builder container.
    public var toolchain: ToolchainDecision.Toolchain
    /// For container jobs: container folder → host folder, to read what the job wrote.
    public var mounts: [String: String]
    /// Variables added to gadgetc's environment for the command (host clang: `ClangEnvironment`).
    public var environment: [String: String]?
    /// Files whose presence decides the result though the command may not read them: the vmlinux.h a
    /// source may take with `__has_include` (its absence compiles other code). The cache records them
    /// as read, so a compile made without one is never reused once it is there, nor the other way round.
    public var presenceInputs: [String] = []
    /// For links: the source paths BTF line info records, host folder → builder's (`DebugPathMapping`).
    public var pathMap: [DebugPathMapping]?

    public init(kind: Kind, arch: Architecture?, argv: [String] = [], workingDirectory: String? = nil, inputs: [String], outputs: [String],
                toolchain: ToolchainDecision.Toolchain = .native, mounts: [String: String] = [:]) {
        self.kind = kind
        self.arch = arch
        self.argv = argv
        self.workingDirectory = workingDirectory
        self.inputs = inputs
        self.outputs = outputs
        self.toolchain = toolchain
        self.mounts = mounts
    }

    /// The dependency file a compile writes (`-MF`), as a host path, if it asks for one.
    public var depfile: String? {
        guard let index = argv.firstIndex(of: "-MF"), index + 1 < argv.count else { return nil }
        return hostPath(argv[index + 1])
    }

    /// A path the command sees, as the host sees it; nil for a container path outside every mount
    /// (a file of the image itself, covered by the image's identity).
    public func hostPath(_ path: String) -> String? {
        guard toolchain == .container else { return path }
        for (container, host) in mounts where path == container || path.hasPrefix(container + "/") {
            return host + path.dropFirst(container.count)
        }
        return nil
    }

    /// The precompiled header a compile uses (`-include-pch FILE`), if any.
    public var precompiledHeader: String? {
        guard let index = argv.firstIndex(of: "-include-pch"), index + 1 < argv.count else { return nil }
        return argv[index + 1]
    }

    /// A check that the precompiled header works with this compile's flags: the same command on an
    /// empty translation unit, syntax only (~20 ms with the PCH, against ~300 for a compile without it).
    public var precompiledHeaderCheck: [String]? {
        guard precompiledHeader != nil else { return nil }
        var argv: [String] = []
        var index = 0
        while index < self.argv.count {
            switch self.argv[index] {
            case "-c": argv += ["-fsyntax-only", "-x", "c", "/dev/null"]; index += 2
            case "-o", "-MF": index += 2
            case "-MD": index += 1
            default: argv.append(self.argv[index]); index += 1
            }
        }
        return argv
    }

    /// The same compile without `-include-pch …`, or nil when it uses no precompiled header.
    public var withoutPrecompiledHeader: Job? {
        guard let index = argv.firstIndex(of: "-include-pch"), index + 2 < argv.count else { return nil }
        var copy = self
        copy.argv.removeSubrange(index...(index + 2))  // -include-pch FILE -fpch-validate-input-files-content
        return copy
    }

    /// One line for progress output and --dry-run.
    public var summary: String {
        let archText = arch.map { "[\($0)] " } ?? ""
        switch kind {
        case .compile: return "\(archText)compile \(inputs.first ?? "")\(toolchain == .container ? " in the builder container" : "")"
        case .generateVmlinux: return "\(archText)generate vmlinux.h from \(inputs.first ?? "")"
        case .precompileHeader: return "\(archText)precompile \(inputs.first ?? "vmlinux.h") for the gadgets of this run"
        case .link: return "\(archText)link \(inputs.count) object\(inputs.count == 1 ? "" : "s") with libbpf"
        case .check: return "\(archText)check \(inputs.first.map { URL(fileURLWithPath: $0).lastPathComponent } ?? "") with libbpf"
        case .verify: return "\(archText)load into the kernel verifier"
        case .btfgen:
            let archive = inputs.count > 1 ? inputs[1] : "the archive"
            return "\(archText)btfgen: bpftool gen min_core_btf for every \(arch?.btfHubName ?? "") kernel in \(archive)\(toolchain == .container ? " in the builder container" : "")"
        }
    }
}
