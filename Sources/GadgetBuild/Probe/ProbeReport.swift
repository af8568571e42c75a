import Foundation

/// One thing the host has or lacks, with where it was found and how to fix it when missing.
public struct Capability: Codable, Equatable, Sendable {
    public var name: String
    public var found: Bool
    public var path: String?
    public var version: String?
    public var detail: String
    public var fix: String?
    /// Required capabilities stop the native toolchain when missing; optional ones only limit it.
    public var required: Bool

    public init(name: String, found: Bool, path: String? = nil, version: String? = nil, detail: String, fix: String? = nil, required: Bool) {
        self.name = name
        self.found = found
        self.path = path
        self.version = version
        self.detail = detail
        self.fix = fix
        self.required = required
    }
}

/// Where each architecture's vmlinux.h comes from.
public struct VmlinuxSource: Codable, Equatable, Sendable {
    public enum Kind: String, Codable, Sendable {
        /// A vmlinux.h file already on disk (gadget headers, -I, or generated earlier).
        case file
        /// To be generated from the running kernel's BTF on first use.
        case kernelBTF
    }
    public var kind: Kind
    /// The folder passed to clang with -I (holds vmlinux.h).
    public var includeDirectory: String
    /// The BTF file to generate from, for `.kernelBTF`.
    public var btfPath: String?
    /// (size, mtime, inode) of vmlinux.h for `.file`: part of the precompiled header's key.
    public var fingerprint: String?
}

/// The probe's verdict for one architecture.
public struct ToolchainDecision: Codable, Equatable, Sendable {
    public enum Toolchain: String, Codable, Sendable { case native, container, none }
    public var arch: Architecture
    public var toolchain: Toolchain
    public var reasons: [String]
}

/// Everything `gadgetc doctor` reports, and what the planner builds with.
public struct ProbeReport: Codable, Equatable, Sendable {
    public var gadgetcVersion: String
    /// The ig release whose images gadgetc makes: written as `io.inspektor-gadget.builder.version` unless
    /// `--builder-version` says otherwise.
    public var builderVersion: String = BuildRequest.defaultBuilderVersion
    public var hostArchitecture: String
    public var capabilities: [Capability]
    /// Every clang driver examined, the chosen one first.
    public var compilers: [ClangCompiler]
    public var chosenCompiler: ClangCompiler?
    public var compilerReason: String?
    public var includeLayout: IncludeLayout?
    public var vmlinux: [String: VmlinuxSource]
    public var decisions: [ToolchainDecision]
    /// What the container engine said, when `doctor` asked it.
    public var engine: EngineStatus?
    /// gadgetc's libbpf overlay on this host (mounted into build containers), whether or not the host's headers need it.
    public var bundledCompatDirectory: String?
    /// Whether native images have the builder image's bytes (`reproducibility(of:)` for the chosen clang).
    /// The host's wasm toolchains (Go, Rust), asked by `doctor` only: builds ask for the one a gadget needs.
    public var wasm: [WasmToolchainFinding]?
    /// The team cache, when `doctor` was given one (`--remote-cache`, GADGETC_REMOTE_CACHE).
    public var remoteCache: RemoteCacheCheck?
    public var reproducibility: String?
    /// Things that do not stop a build but may make one fail; builds print them as notes.
    public var warnings: [String] = []
    public var elapsedMilliseconds: Double

    public func capability(_ name: String) -> Capability? { capabilities.first { $0.name == name } }

    /// What decides whether a native build's image has the bytes of one made in ig's builder image:
    /// the same gadget, headers and `SOURCE_DATE_EPOCH` give the same digest only with the same clang
    /// major (clang's version decides the code). Nil without a clang.
    public static func reproducibility(of compiler: ClangCompiler?) -> String? {
        guard let compiler else { return nil }
        let builder = ClangLocator.builderClangMajor
        return compiler.major == builder
            ? "native images have the builder image's bytes: clang \(compiler.major), as in ig's builder (given the same headers and SOURCE_DATE_EPOCH)"
            : "native images differ from ig's builder image's: clang \(compiler.major) here, clang \(builder) there (clang's version decides the code); both are reproducible on their own; set GADGETC_CLANG to a clang \(builder) for the builder's bytes"
    }

    public func decision(for arch: Architecture) -> ToolchainDecision? { decisions.first { $0.arch == arch } }

    /// The required capabilities that are missing, as "name: fix" lines.
    public var missingRequirements: [String] {
        capabilities.filter { $0.required && !$0.found }.map { "\($0.name) not found (\($0.fix ?? $0.detail))" }
    }
}

/// The include folders a native compile uses besides ig's fixed ones.
public struct IncludeLayout: Codable, Equatable, Sendable {
    /// The multiarch folder holding asm/ (ig passes the build host's one for every arch).
    public var multiarchDirectory: String
    /// Folder that holds `gadget/…h`; nil when it is a default search folder (/usr/include).
    public var gadgetHeadersRoot: String?
    /// gadgetc's overlay that adds what old libbpf headers lack; nil when the host's are new enough.
    public var libbpfCompatDirectory: String?
    /// Extra folders from -I, in order.
    public var userDirectories: [String]
}
