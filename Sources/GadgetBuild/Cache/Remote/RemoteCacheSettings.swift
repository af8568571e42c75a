import Foundation

/// Where the team's cache is: `HOST[:PORT]/REPOSITORY` of an OCI registry (`--remote-cache`,
/// `GADGETC_REMOTE_CACHE`), read-only unless uploads are asked for (`--remote-cache-upload`, what CI sets).
public struct RemoteCacheSettings: Codable, Hashable, Sendable {
    public var host: String
    public var repository: String
    public var upload: Bool
    /// `https://` or `http://` given in the reference, else chosen by `scheme`.
    public var explicitScheme: String?
    /// A PEM file of the CA that signed the registry's certificate (`GADGETC_REMOTE_CACHE_CA`, or
    /// docker's /etc/docker/certs.d/HOST/ca.crt), trusted besides the system's.
    public var certificateAuthority: String?
    /// Each request's bound: a slow registry costs a build at most this per request, then the build
    /// goes on with the local cache alone.
    public var timeoutSeconds: Double
    /// Repositories of the same registry whose blobs an upload may mount instead of sending them again
    /// (`--remote-cache-mount-from`, `GADGETC_REMOTE_CACHE_MOUNT_FROM`): e.g. last release's cache
    /// when CI starts a new one. Without any, an upload still asks the registry to find the blob itself.
    public var mountFrom: [String] = []

    public static let defaultTimeoutSeconds = 3.0

    public init(host: String, repository: String, upload: Bool = false, timeoutSeconds: Double = RemoteCacheSettings.defaultTimeoutSeconds) {
        self.host = host
        self.repository = repository
        self.upload = upload
        self.timeoutSeconds = timeoutSeconds
    }

    /// Parses `HOST[:PORT]/REPOSITORY` (a repository of lowercase path components, as OCI names them).
    public init(parsing reference: String, upload: Bool = false, timeoutSeconds: Double = RemoteCacheSettings.defaultTimeoutSeconds) throws {
        var text = reference
        var explicit: String?
        for scheme in ["https://", "http://"] where text.hasPrefix(scheme) {
            text.removeFirst(scheme.count)
            explicit = String(scheme.dropLast(3))
        }
        guard let slash = text.firstIndex(of: "/"), slash != text.startIndex else { throw RemoteCacheError.badReference(reference) }
        let host = String(text[..<slash])
        let repository = String(text[text.index(after: slash)...])
        guard Self.isRepositoryName(repository), host.range(of: #"^[A-Za-z0-9.-]+(:[0-9]{1,5})?$|^\[[0-9a-fA-F:]+\](:[0-9]{1,5})?$"#, options: .regularExpression) != nil else {
            throw RemoteCacheError.badReference(reference)
        }
        self.init(host: host, repository: repository, upload: upload, timeoutSeconds: timeoutSeconds)
        explicitScheme = explicit
    }

    /// Whether `name` is an OCI repository name: lowercase path components.
    public static func isRepositoryName(_ name: String) -> Bool {
        let component = #"^[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*$"#
        return !name.isEmpty && name.split(separator: "/", omittingEmptySubsequences: false).allSatisfy {
            $0.range(of: component, options: .regularExpression) != nil
        }
    }

    /// Sets the repositories to mount blobs from (`REPOSITORY`, or `HOST[:PORT]/REPOSITORY` of this
    /// registry): those given on the command line, else `GADGETC_REMOTE_CACHE_MOUNT_FROM`'s.
    public mutating func mount(from given: [String], environment: [String: String]) throws {
        try mount(from: given.isEmpty ? Self.mountSources(environment: environment) : given)
    }

    /// Sets the repositories to mount blobs from.
    public mutating func mount(from sources: [String]) throws {
        mountFrom = try sources.map { source in
            var name = source
            if name.hasPrefix(host + "/") { name.removeFirst(host.count + 1) }
            // A first component with a dot or a port names another registry (as docker reads names): a
            // registry mounts only its own blobs.
            let first = name.split(separator: "/").first.map(String.init) ?? ""
            let otherRegistry = name.contains("/") && (first.contains(".") || first.contains(":") || first == "localhost")
            guard Self.isRepositoryName(name), !otherRegistry else { throw RemoteCacheError.badMountSource(source) }
            return name
        }.filter { $0 != repository }
    }

    /// `GADGETC_REMOTE_CACHE_MOUNT_FROM=repo[,repo…]`.
    public static func mountSources(environment: [String: String]) -> [String] {
        (environment["GADGETC_REMOTE_CACHE_MOUNT_FROM"] ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// HTTPS, except for loopback registries without a CA of their own and for hosts listed as insecure
    /// (`GADGETC_REMOTE_CACHE_INSECURE=host[:port],…`), or what the reference says.
    public func scheme(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let explicitScheme { return explicitScheme }
        let insecure = (environment["GADGETC_REMOTE_CACHE_INSECURE"] ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        if insecure.contains(host) { return "http" }
        return isLoopback && certificateAuthority == nil ? "http" : "https"
    }

    var isLoopback: Bool {
        let name = host.hasPrefix("[") ? String(host.prefix { $0 != "]" }) + "]" : String(host.split(separator: ":").first ?? "")
        return ["localhost", "127.0.0.1", "[::1]"].contains(name) || name.hasPrefix("127.")
    }

    /// The CA file for `host`: `GADGETC_REMOTE_CACHE_CA`, else docker's per-registry one when present.
    static func certificateAuthority(host: String, environment: [String: String], fileExists: (String) -> Bool) -> String? {
        if let file = environment["GADGETC_REMOTE_CACHE_CA"], !file.isEmpty { return file }
        let docker = "/etc/docker/certs.d/\(host)/ca.crt"
        return fileExists(docker) ? docker : nil
    }

    public var description: String { "\(host)/\(repository)" }
}

public enum RemoteCacheError: Error, Equatable, CustomStringConvertible {
    case badReference(String)
    case badMountSource(String)

    public var description: String {
        switch self {
        case .badReference(let text):
            return "'\(text)' is not a remote cache reference: give HOST[:PORT]/REPOSITORY of an OCI registry, e.g. registry.example.com/team/gadgetc-cache or 127.0.0.1:5000/cache"
        case .badMountSource(let text):
            return "'\(text)' is not a repository to mount blobs from: give REPOSITORY (or HOST[:PORT]/REPOSITORY) on the remote cache's registry, e.g. team/gadgetc-cache-v1"
        }
    }
}
