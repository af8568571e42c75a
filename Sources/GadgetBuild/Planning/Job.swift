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
        /// Build the gadget's wasm module from its Go or Rust source (one per gadget, every arch packages it).
        case wasm
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
    /// For compiles: the clang command as data; `argv` is its rendering.
    public private(set) var clang: ClangInvocation?
    /// For wasm builds: the toolchain command as data; `argv` is its rendering.
    public var wasm: WasmBuild?
    /// For btfgen: the BTFHub archive's folder (also among `inputs`, after the object).
    public var btfHubArchive: String?

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

    /// A compile of `invocation`'s source, run in `workingDirectory` by `toolchain`.
    public static func compile(_ invocation: ClangInvocation, workingDirectory: String, outputs: [String],
                               toolchain: ToolchainDecision.Toolchain = .native, mounts: [String: String] = [:]) -> Job {
        var job = Job(kind: .compile, arch: invocation.arch, argv: invocation.arguments, workingDirectory: workingDirectory,
                      inputs: invocation.source.map { [$0] } ?? [], outputs: outputs, toolchain: toolchain, mounts: mounts)
        job.clang = invocation
        return job
    }

    /// The dependency file a compile writes (`-MF`), as a host path, if it asks for one.
    public var depfile: String? { clang?.depfile.flatMap(hostPath) }

    /// A path the command sees, as the host sees it; nil for a container path outside every mount
    /// (a file of the image itself, covered by the image's identity).
    public func hostPath(_ path: String) -> String? {
        toolchain == .container ? MountTable(mounts).hostPath(path) : path
    }

    /// The precompiled header a compile uses (`-include-pch FILE`), if any.
    public var precompiledHeader: String? { clang?.precompiledHeader }

    /// The compile's PCH check (`ClangInvocation.precompiledHeaderCheck`), as a command line.
    public var precompiledHeaderCheck: [String]? { clang?.precompiledHeaderCheck?.arguments }

    /// The same compile without the precompiled header, or nil when it uses none.
    public var withoutPrecompiledHeader: Job? {
        guard let invocation = clang?.withoutPrecompiledHeader else { return nil }
        var copy = self
        copy.clang = invocation
        copy.argv = invocation.arguments
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
        case .wasm:
            let tool = wasm?.language == .rust ? "cargo" : "go"
            return "wasm: \(tool) build \(inputs.first ?? "")\(toolchain == .container ? " in the builder container" : "")"
        case .btfgen:
            let archive = btfHubArchive ?? "the archive"
            return "\(archText)btfgen: bpftool gen min_core_btf for every \(arch?.btfHubName ?? "") kernel in \(archive)\(toolchain == .container ? " in the builder container" : "")"
        }
    }
}
