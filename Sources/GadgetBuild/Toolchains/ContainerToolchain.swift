import Foundation

/// How to reach the builder image: the engine, the image and when to pull it.
public struct ContainerSettings: Codable, Hashable, Sendable {
    /// `--container-host` (unix://PATH or a socket path); nil discovers the engine.
    public var engineOption: String?
    public var image: String
    public var pullPolicy: PullPolicy

    public init(engineOption: String? = nil, image: String = BuilderImage.defaultReference, pullPolicy: PullPolicy = .default) {
        self.engineOption = engineOption
        self.image = image
        self.pullPolicy = pullPolicy
    }
}

/// The folders mounted into a build container, container folder → host folder, read both ways: the
/// one table a job (to find what a container command read or wrote) and the toolchain (to name a host
/// file to a command) both use.
public struct MountTable: Sendable {
    public let mounts: [String: String]

    public init(_ mounts: [String: String]) { self.mounts = mounts }

    /// A container path as the host sees it; nil outside every mount (a file of the image itself).
    public func hostPath(_ path: String) -> String? {
        for (inside, host) in mounts.sorted(by: { $0.key.count > $1.key.count }) where path == inside || path.hasPrefix(inside + "/") {
            return host + path.dropFirst(inside.count)
        }
        return nil
    }

    /// A host path as a container command sees it; nil when no mount shows it.
    public func containerPath(_ hostPath: String) -> String? {
        for (inside, host) in mounts.sorted(by: { $0.value.count > $1.value.count }) where hostPath == host || hostPath.hasPrefix(host + "/") {
            return inside + hostPath.dropFirst(host.count)
        }
        return nil
    }
}

/// The fixed layout of a build container, as ig lays it out: the gadget at /work (read-only), the
/// output at /out, and gadgetc's libbpf overlay at /gadgetc/compat.
public enum ContainerLayout {
    public static let source = "/work"
    public static let output = "/out"
    public static let compat = "/gadgetc/compat"
    /// The builder image's clang, on its PATH.
    public static let clang = "clang"

    /// ig's compile line inside the builder: its own gadget headers and vmlinux.h in
    /// /usr/include/gadget, the build host's multiarch folder (which is the container's too).
    /// gadgetc's overlay goes last: it only adds what the image's libbpf headers lack, so it changes
    /// nothing with ig's builder (libbpf 1.3) and fills the gaps of older ones.
    public static func compile(arch: Architecture, host: Architecture, source: String, output: String, withCompat: Bool) -> ClangInvocation {
        let layout = IncludeLayout(multiarchDirectory: "/usr/include/\(host.multiarchTriple)", gadgetHeadersRoot: nil,
                                   libbpfCompatDirectory: withCompat ? compat : nil, userDirectories: [])
        return .igCompile(clang: clang, arch: arch, source: source, output: output, vmlinuxDirectory: "/usr/include/gadget/\(arch)", layout: layout)
    }
}

/// Runs commands inside one started build container through the engine's exec API.
public struct ContainerCommandRunner: CommandRunning {
    let engine: EngineAPI
    let container: String

    public init(engine: EngineAPI, container: String) {
        self.engine = engine
        self.container = container
    }

    public func run(_ argv: [String], workingDirectory: String?) async throws -> ProcessResult {
        try await run(argv, workingDirectory: workingDirectory, environment: [:])
    }

    /// `environment` is added to the container's own (the wasm toolchains' GOOS, CARGO_TARGET_DIR, …);
    /// gadgetc's own environment never reaches the builder.
    public func run(_ argv: [String], workingDirectory: String?, environment: [String: String]) async throws -> ProcessResult {
        let result = try await engine.exec(container: container, argv: argv, workingDir: workingDirectory, environment: environment)
        return ProcessResult(status: result.exitCode, signaled: false, standardOutput: result.standardOutput, standardError: result.standardError)
    }
}
