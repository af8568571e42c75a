import Foundation

/// The calls of the Docker Engine API (and Podman's compatible API) that a container build needs.
/// `EngineClient` speaks it over a unix socket; tests give `BuilderImage` a fake.
public protocol EngineAPI: Sendable {
    func version() async throws -> EngineVersion
    func info() async throws -> EngineInfo
    /// The image in the engine's store, or `nil` when it has none by that name.
    func imageInspect(_ reference: ContainerImageReference) async throws -> LocalImage?
    /// Pulls exactly `reference` (its tag or digest, never every tag), reporting progress.
    func pull(_ reference: ContainerImageReference, progress: @escaping @Sendable (PullProgress) -> Void) async throws
    /// Creates (does not start) a container; returns its id.
    func createContainer(_ spec: ContainerSpec) async throws -> String
    func start(container: String) async throws
    /// Runs `argv` in a running container; a non-zero exit code is a result, not an error.
    /// `environment` is added to the container's (the exec API's `Env`).
    func exec(container: String, argv: [String], workingDir: String?, environment: [String: String]) async throws -> ExecResult
    /// Removes the container; one that is already gone is not an error.
    func remove(container: String, force: Bool) async throws
}

extension EngineAPI {
    /// Creates a build container the way ig does: `sleep inf`, source and output bind-mounted,
    /// no network.
    public func createContainer(
        image: ContainerImageReference,
        command: [String] = ["sleep", "inf"],
        binds: [String],
        user: String? = nil,
        networkMode: String = "none",
        workingDir: String? = nil
    ) async throws -> String {
        try await createContainer(ContainerSpec(
            image: image, command: command, binds: binds, user: user,
            networkMode: networkMode, workingDir: workingDir
        ))
    }
}

public enum EngineKind: String, Hashable, Sendable, Codable {
    case docker = "Docker"
    case podman = "Podman"
}

public struct EngineVersion: Hashable, Sendable {
    public var kind: EngineKind
    /// The engine's own version: `20.10.24`, `4.3.1`.
    public var version: String
    /// The newest Docker API version it speaks: `1.41`.
    public var apiVersion: String

    public init(kind: EngineKind, version: String, apiVersion: String) {
        self.kind = kind
        self.version = version
        self.apiVersion = apiVersion
    }
}

public struct EngineInfo: Hashable, Sendable {
    /// True when the engine runs without root (`name=rootless` in SecurityOptions): containers
    /// then run as the engine's root, which maps to the caller, so no `--user` is passed.
    public var rootless: Bool
    public var securityOptions: [String]

    public init(rootless: Bool, securityOptions: [String]) {
        self.rootless = rootless
        self.securityOptions = securityOptions
    }
}

/// An image present in the engine's store.
public struct LocalImage: Hashable, Sendable {
    public var id: String
    /// When the image was built (its config's `created`), not when it was pulled.
    public var created: Date?
    public var repoTags: [String]
    public var repoDigests: [String]

    public init(id: String, created: Date?, repoTags: [String] = [], repoDigests: [String] = []) {
        self.id = id
        self.created = created
        self.repoTags = repoTags
        self.repoDigests = repoDigests
    }
}

/// One line of a pull's progress stream.
public struct PullProgress: Hashable, Sendable {
    /// The layer (or tag) the line is about, when it names one.
    public var id: String?
    public var status: String
    public var current: Int64?
    public var total: Int64?

    public init(id: String?, status: String, current: Int64? = nil, total: Int64? = nil) {
        self.id = id
        self.status = status
        self.current = current
        self.total = total
    }
}

public struct ContainerSpec: Hashable, Sendable {
    public var image: ContainerImageReference
    public var command: [String]
    /// `host-path:container-path[:ro|rw]`.
    public var binds: [String]
    /// `uid:gid`, or nil for the image's user.
    public var user: String?
    public var networkMode: String
    public var workingDir: String?
    public var labels: [String: String]

    public init(
        image: ContainerImageReference,
        command: [String] = ["sleep", "inf"],
        binds: [String] = [],
        user: String? = nil,
        networkMode: String = "none",
        workingDir: String? = nil,
        labels: [String: String] = ["io.gadgetc.build": "true"]
    ) {
        self.image = image
        self.command = command
        self.binds = binds
        self.user = user
        self.networkMode = networkMode
        self.workingDir = workingDir
        self.labels = labels
    }
}

public struct ExecResult: Hashable, Sendable {
    public var exitCode: Int32
    public var stdout: Data
    public var stderr: Data

    public init(exitCode: Int32, stdout: Data, stderr: Data) {
        self.exitCode = exitCode
        self.stdout = stdout
        self.stderr = stderr
    }

    public var standardOutput: String { String(decoding: stdout, as: UTF8.self) }
    public var standardError: String { String(decoding: stderr, as: UTF8.self) }
}
