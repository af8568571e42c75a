import Foundation

/// `doctor`'s answer about the remote cache.
public struct RemoteCacheCheck: Codable, Equatable, Sendable {
    public var reference: String
    public var scheme: String
    public var reachable: Bool
    public var canRead: Bool
    public var canWrite: Bool
    /// Where the credentials came from (never what they are), when the registry asked for some.
    public var credentials: String?
    public var problem: String?
}

/// What the remote cache did in one run (`--json`), or in every run so far (`gadgetc cache stats`).
public struct RemoteCacheStatistics: Codable, Equatable, Sendable {
    public var hits = 0
    public var misses = 0
    public var uploads = 0
    /// Blobs an upload did not send: the registry mounted them from another repository.
    public var mounts = 0
    public var bytesDown = 0
    public var bytesUp = 0
    /// The compile time the hits saved, as the machines that compiled them measured it.
    public var millisecondsSaved: Double = 0
    /// Time spent asking the registry (what the remote tier costs a build that misses).
    public var lookupMilliseconds: Double = 0

    public init() {}

    /// Totals written before a field existed read it as 0.
    public init(from decoder: Decoder) throws {
        let values = try decoder.container(keyedBy: CodingKeys.self)
        hits = try values.decodeIfPresent(Int.self, forKey: .hits) ?? 0
        misses = try values.decodeIfPresent(Int.self, forKey: .misses) ?? 0
        uploads = try values.decodeIfPresent(Int.self, forKey: .uploads) ?? 0
        mounts = try values.decodeIfPresent(Int.self, forKey: .mounts) ?? 0
        bytesDown = try values.decodeIfPresent(Int.self, forKey: .bytesDown) ?? 0
        bytesUp = try values.decodeIfPresent(Int.self, forKey: .bytesUp) ?? 0
        millisecondsSaved = try values.decodeIfPresent(Double.self, forKey: .millisecondsSaved) ?? 0
        lookupMilliseconds = try values.decodeIfPresent(Double.self, forKey: .lookupMilliseconds) ?? 0
    }

    public var isEmpty: Bool { self == RemoteCacheStatistics() }

    public static func + (a: Self, b: Self) -> Self { a.combined(with: b, sign: 1) }
    public static func - (a: Self, b: Self) -> Self { a.combined(with: b, sign: -1) }

    private func combined(with other: Self, sign: Int) -> Self {
        var result = self
        result.hits += sign * other.hits
        result.misses += sign * other.misses
        result.uploads += sign * other.uploads
        result.mounts += sign * other.mounts
        result.bytesDown += sign * other.bytesDown
        result.bytesUp += sign * other.bytesUp
        result.millisecondsSaved += Double(sign) * other.millisecondsSaved
        result.lookupMilliseconds += Double(sign) * other.lookupMilliseconds
        return result
    }

    /// Adds a run's figures to the cache's running totals (`remote-stats.json`, under a lock).
    public static func accumulate(_ run: Self, in location: CacheLocation) {
        guard !run.isEmpty, (try? CacheLocation.createFolders(location.root)) != nil else { return }
        let file = location.root.appendingPathComponent("remote-stats.json")
        let lockFile = open(location.root.appendingPathComponent("remote-stats.lock").path, O_CREAT | O_RDWR | O_CLOEXEC, 0o644)
        guard lockFile >= 0 else { return }
        defer { close(lockFile) }
        guard flock(lockFile, LOCK_EX) == 0 else { return }
        let total = (load(location) ?? Self()) + run
        if let data = try? JSONEncoder.sorted.encode(total) { try? AtomicFile.write(data, to: file) }
    }

    /// The running totals, if any run used a remote cache.
    public static func load(_ location: CacheLocation) -> Self? {
        FileManager.default.contents(atPath: location.root.appendingPathComponent("remote-stats.json").path)
            .flatMap { try? JSONDecoder().decode(Self.self, from: $0) }
    }
}

extension JSONEncoder {
    /// Keys sorted: the same record is the same bytes, so the same blob.
    static var sorted: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}
