import Foundation

/// The unix socket of a Docker-API engine, and where gadgetc found it.
public struct EngineSocket: Hashable, Sendable, CustomStringConvertible {
    /// Where the path came from, in the order gadgetc looks.
    public enum Source: String, Hashable, Sendable {
        case option = "--container-host"
        case dockerHost = "DOCKER_HOST"
        case containerHost = "CONTAINER_HOST"
        case dockerDefault = "Docker's default socket"
        case podmanRootful = "Podman's rootful socket"
        case podmanRootless = "Podman's rootless socket"
    }

    public var path: String
    public var source: Source

    public init(path: String, source: Source) {
        self.path = path
        self.source = source
    }

    public var description: String { "\(path) (\(source.rawValue))" }

    /// Finds the engine socket: the `--container-host` value, `DOCKER_HOST`, `CONTAINER_HOST`
    /// (each `unix:///path` or a plain absolute path; a set one is used or reported, never
    /// skipped), then the first existing of /var/run/docker.sock, /run/podman/podman.sock and
    /// `$XDG_RUNTIME_DIR/podman/podman.sock`.
    public static func discover(
        option: String?,
        environment: [String: String],
        fileExists: (String) -> Bool
    ) throws -> EngineSocket {
        let named: [(String?, Source)] = [
            (option, .option),
            (environment["DOCKER_HOST"], .dockerHost),
            (environment["CONTAINER_HOST"], .containerHost),
        ]
        for (value, source) in named {
            guard let value, !value.isEmpty else { continue }
            let path = try socketPath(fromHost: value, source: source)
            guard fileExists(path) else { throw EngineError.namedSocketMissing(path: path, source: source.rawValue) }
            return EngineSocket(path: path, source: source)
        }
        var candidates: [EngineSocket] = [
            EngineSocket(path: "/var/run/docker.sock", source: .dockerDefault),
            EngineSocket(path: "/run/podman/podman.sock", source: .podmanRootful),
        ]
        if let runtime = environment["XDG_RUNTIME_DIR"], runtime.hasPrefix("/") {
            let folder = runtime.hasSuffix("/") ? String(runtime.dropLast()) : runtime
            candidates.append(EngineSocket(path: folder + "/podman/podman.sock", source: .podmanRootless))
        }
        if let found = candidates.first(where: { fileExists($0.path) }) { return found }
        throw EngineError.socketNotFound(searched: candidates.map(\.path))
    }

    /// Discovers the socket from the process environment and the real filesystem.
    public static func discover(option: String?) throws -> EngineSocket {
        try discover(
            option: option,
            environment: ProcessInfo.processInfo.environment,
            fileExists: { FileManager.default.fileExists(atPath: $0) }
        )
    }

    /// `unix:///run/x.sock` or `/run/x.sock` → `/run/x.sock`; any other scheme is refused.
    static func socketPath(fromHost value: String, source: Source) throws -> String {
        if value.hasPrefix("unix://") {
            let path = String(value.dropFirst("unix://".count))
            guard path.hasPrefix("/") else { throw EngineError.unsupportedHost(value, source: source.rawValue) }
            return path
        }
        if value.hasPrefix("/") { return value }
        throw EngineError.unsupportedHost(value, source: source.rawValue)
    }
}
