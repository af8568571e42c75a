import Foundation

/// Sizes of the cache's parts, for `gadgetc cache stats`.
public struct CacheStatistics: Codable, Sendable {
    public struct Part: Codable, Sendable {
        public var name: String
        public var files: Int
        public var bytes: Int64
    }
    public var root: String
    public var parts: [Part]
    public var totalBytes: Int64 { parts.reduce(0) { $0 + $1.bytes } }
    public var maxBytes: Int64
}

/// Keeps the cache within its size bound: least recently used entries go first.
public struct CacheMaintenance: Sendable {
    /// The default bound: room for a few hundred gadgets' objects plus a PCH per (arch, compiler).
    public static let defaultMaxBytes: Int64 = 2 << 30
    /// Temporary files older than this belong to builds that died.
    static let staleTemporaryAge: TimeInterval = 3600

    public let location: CacheLocation

    public init(location: CacheLocation) { self.location = location }

    static let parts = ["objects", "records", "pch", "vmlinux", "probe"]

    public func statistics(maxBytes: Int64 = defaultMaxBytes) -> CacheStatistics {
        let parts = Self.parts.map { name -> CacheStatistics.Part in
            let files = entries(under: location.folder(name))
            return .init(name: name, files: files.count, bytes: files.reduce(0) { $0 + $1.size })
        }
        return CacheStatistics(root: location.root.path, parts: parts, maxBytes: maxBytes)
    }

    public struct PruneResult: Codable, Sendable {
        public var removedFiles: Int
        public var removedBytes: Int64
        public var remainingBytes: Int64
    }

    /// Removes stale temporary files and PCH locks, then the least recently used objects, PCHs and
    /// records until the cache fits `maxBytes`. Builds running meanwhile stay correct: a record whose object is gone is a miss.
    @discardableResult
    public func prune(maxBytes: Int64 = defaultMaxBytes) throws -> PruneResult {
        var all = Self.parts.flatMap { entries(under: location.folder($0)) }
        var removed = 0
        var removedBytes: Int64 = 0
        let now = Date()
        all.removeAll { entry in
            let age = now.timeIntervalSince(entry.modified)
            // A PCH's lock outlives the background clang that built it (nothing waits to remove it).
            let stale = entry.url.lastPathComponent.contains(".tmp-") ? age > Self.staleTemporaryAge
                : entry.url.pathExtension == "lock" && age > PrecompiledHeaderBuilds.staleLockAge
            guard stale else { return false }
            if (try? FileManager.default.removeItem(at: entry.url)) != nil { removed += 1; removedBytes += entry.size }
            return true
        }
        var total = all.reduce(0) { $0 + $1.size }
        // The generated vmlinux.h and the probe's notes are cheap to keep and slow to make: last to go.
        let order = all.sorted { (rank($0), $0.modified) < (rank($1), $1.modified) }
        for entry in order where total > maxBytes {
            if (try? FileManager.default.removeItem(at: entry.url)) != nil {
                total -= entry.size
                removed += 1
                removedBytes += entry.size
            }
        }
        try? AtomicFile.write(Data(), to: location.root.appendingPathComponent("last-prune"))
        return PruneResult(removedFiles: removed, removedBytes: removedBytes, remainingBytes: total)
    }

    /// Prunes with the default bound at most once a day; called after builds.
    public func pruneIfDue() {
        let stamp = location.root.appendingPathComponent("last-prune")
        let last = (try? FileManager.default.attributesOfItem(atPath: stamp.path)[.modificationDate] as? Date) ?? .distantPast
        guard Date().timeIntervalSince(last) > 86_400 else { return }
        _ = try? prune()
    }

    func rank(_ entry: Entry) -> Int {
        entry.url.path.contains("/vmlinux/") || entry.url.path.contains("/probe/") ? 1 : 0
    }

    struct Entry {
        var url: URL
        var size: Int64
        var modified: Date
    }

    func entries(under folder: URL) -> [Entry] {
        guard let walker = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: [.fileSizeKey, .contentModificationDateKey, .isRegularFileKey]) else { return [] }
        return walker.compactMap { item -> Entry? in
            guard let url = item as? URL,
                  let values = try? url.resourceValues(forKeys: [.fileSizeKey, .contentModificationDateKey, .isRegularFileKey]),
                  values.isRegularFile == true else { return nil }
            return Entry(url: url, size: Int64(values.fileSize ?? 0), modified: values.contentModificationDate ?? .distantPast)
        }
    }

    /// Parses "2G", "1.5G", "500M", "64K" or a byte count: digits with an optional decimal fraction and
    /// unit, nothing else (no sign, exponent, `inf` or `nan`). nil when it is not a size or is more than
    /// `Int64.max` bytes (8589934591G, just under 8 EiB), checked without floating-point overflow.
    public static func parseSize(_ text: String) -> Int64? {
        let trimmed = text.trimmingCharacters(in: .whitespaces).uppercased()
        let units: [(String, Int64)] = [("GB", 1 << 30), ("G", 1 << 30), ("MB", 1 << 20), ("M", 1 << 20), ("KB", 1 << 10), ("K", 1 << 10), ("B", 1)]
        let (number, factor) = units.first { trimmed.hasSuffix($0.0) }.map { (trimmed.dropLast($0.0.count), $0.1) } ?? (Substring(trimmed), 1)
        let parts = number.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard let whole = parts.first, !whole.isEmpty, whole.allSatisfy(\.isASCII), whole.allSatisfy(\.isNumber) else { return nil }
        let fraction = parts.count == 2 ? parts[1] : ""
        guard fraction.allSatisfy(\.isASCII), fraction.allSatisfy(\.isNumber), parts.count == 1 || !fraction.isEmpty else { return nil }
        var bytes: Int64 = 0
        for digit in whole {
            let (tenfold, overflowA) = bytes.multipliedReportingOverflow(by: 10)
            let (next, overflowB) = tenfold.addingReportingOverflow(Int64(digit.wholeNumberValue!))
            guard !overflowA, !overflowB else { return nil }
            bytes = next
        }
        let (scaled, overflow) = bytes.multipliedReportingOverflow(by: factor)
        guard !overflow else { return nil }
        // The fraction adds less than one unit (at most 2^30 bytes): exact enough in a Double, never overflowing it.
        let part = Int64((Double("0." + fraction) ?? 0) * Double(factor))
        let (total, overflowC) = scaled.addingReportingOverflow(part)
        return overflowC ? nil : total
    }
}
