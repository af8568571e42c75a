import Foundation

/// Everything the probe asks of the machine, behind one protocol so tests can describe a host as data.
public protocol HostSystem: Sendable {
    var environment: [String: String] { get }
    var architecture: Architecture? { get }
    var isRoot: Bool { get }
    func fileExists(_ path: String) -> Bool
    func isExecutableFile(_ path: String) -> Bool
    func isSocket(_ path: String) -> Bool
    func listDirectory(_ path: String) -> [String]
    func readFile(_ path: String) -> Data?
    /// The path with symlinks resolved; the path itself when it cannot be resolved.
    func realPath(_ path: String) -> String
    /// A cheap identity of a file's current content (size, mtime, inode), nil when it does not exist.
    func fingerprint(_ path: String) -> String?
    /// Runs a short command; nil when it cannot start.
    func run(_ argv: [String]) async -> ProcessResult?
    /// The version of the libbpf linked into gadgetc.
    var libbpfVersion: String { get }
    /// Whether this process may load BPF programs, and why not.
    func kernelAcceptsBPF() -> (accepted: Bool, reason: String)
    /// Asks the engine behind `socket` what it is and whether it has `image`.
    func engineStatus(socket: String, image: String) async -> EngineStatus
}

/// What a container engine said about itself and the builder image.
public struct EngineStatus: Codable, Equatable, Sendable {
    public var kind: String?
    public var version: String?
    public var apiVersion: String?
    public var rootless: Bool?
    public var image: String
    public var imagePresent: Bool?
    public var imageCreated: Date?
    /// Set when the engine did not answer.
    public var error: String?

    public init(kind: String? = nil, version: String? = nil, apiVersion: String? = nil, rootless: Bool? = nil, image: String,
                imagePresent: Bool? = nil, imageCreated: Date? = nil, error: String? = nil) {
        self.kind = kind
        self.version = version
        self.apiVersion = apiVersion
        self.rootless = rootless
        self.image = image
        self.imagePresent = imagePresent
        self.imageCreated = imageCreated
        self.error = error
    }
}

/// The machine gadgetc runs on.
public struct LiveHost: HostSystem {
    public var environment: [String: String]
    let runner: CommandRunning

    /// `runner` runs short commands (a compiler's `-v`): 30 s bound them unless GADGETC_TIMEOUT says otherwise.
    public init(environment: [String: String] = ProcessInfo.processInfo.environment,
                runner: CommandRunning? = nil) {
        self.environment = environment
        self.runner = runner ?? ProcessRunner(timeout: ProcessRunner.timeout(environment: environment, default: .seconds(30)))
    }

    public var architecture: Architecture? { Architecture.host }
    public var isRoot: Bool { geteuid() == 0 }

    public func fileExists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    public func isExecutableFile(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG && access(path, X_OK) == 0
    }

    public func isSocket(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFSOCK
    }

    public func listDirectory(_ path: String) -> [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
    }

    public func readFile(_ path: String) -> Data? { FileManager.default.contents(atPath: path) }

    public func realPath(_ path: String) -> String {
        guard let resolved = realpath(path, nil) else { return path }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    public func fingerprint(_ path: String) -> String? {
        FileFingerprint(path: path)?.description
    }

    public func run(_ argv: [String]) async -> ProcessResult? {
        try? await runner.run(argv, workingDirectory: nil)
    }

    public func engineStatus(socket: String, image: String) async -> EngineStatus {
        let client = EngineClient(socket: EngineSocket(path: socket, source: .option))
        do {
            let version = try await client.version()
            let info = try await client.info()
            let local = try await client.imageInspect(try ContainerImageReference(parsing: image))
            return EngineStatus(kind: version.kind.rawValue, version: version.version, apiVersion: version.apiVersion, rootless: info.rootless,
                                image: image, imagePresent: local != nil, imageCreated: local?.created)
        } catch {
            return EngineStatus(image: image, error: "\(error)")
        }
    }
}

/// (size, mtime, inode, device) of a file: changes whenever the file is replaced or written.
public struct FileFingerprint: Codable, Hashable, Sendable, CustomStringConvertible {
    public var size: Int64
    public var modifiedNanoseconds: Int64
    public var inode: UInt64
    public var device: UInt64
    /// A regular file (after following links): the only kind whose content the cache may vouch for.
    public var isRegularFile: Bool

    public init?(path: String) {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        size = Int64(info.st_size)
        modifiedNanoseconds = Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec)
        inode = UInt64(info.st_ino)
        device = UInt64(info.st_dev)
        isRegularFile = (info.st_mode & S_IFMT) == S_IFREG
    }

    public var description: String { "\(size)-\(modifiedNanoseconds)-\(inode)-\(device)" }
}
