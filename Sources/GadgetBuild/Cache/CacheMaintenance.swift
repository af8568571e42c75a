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
    /// The team cache's running totals (`--remote-cache`), when any build used one.
    public var remote: RemoteCacheStatistics?
}

/// Keeps the cache within its size bound: least recently used entries go first. Only files whose
/// names are gadgetc's (`CacheLayout`) in a folder marked with gadgetc's CACHEDIR.TAG are ever removed,
/// and nothing a running build still needs: temporaries whose writer is alive, locks of PCH builds
/// under way, the running kernel's generated vmlinux.h (any build may be about to read it: removed
/// under a build, clang fails, or takes a source's `__has_include(<vmlinux.h>)` fallback and the
/// cache keeps that wrong object) and any vmlinux.h generated in the last few minutes. Objects,
/// records, PCHs and compiler notes may go at any time: a build reads them only through lookups that
/// treat a missing entry as a miss, and a compile whose PCH went away runs again without it.
public struct CacheMaintenance: Sendable {
    /// The default bound: room for a few hundred gadgets' objects plus a PCH per (arch, compiler).
    public static let defaultMaxBytes: Int64 = 2 << 30
    /// A temporary file this old belongs to a build that died, whoever wrote it.
    static let staleTemporaryAge: TimeInterval = 3600
    /// A temporary whose writer is gone is kept this long all the same: its writer may be a gadgetc
    /// in another PID namespace sharing the cache, whose process id means nothing here.
    static let deadWriterGrace: TimeInterval = 60
    /// Another kernel's generated vmlinux.h (GADGETC_KERNEL_BTF) this recent stays whatever the bound:
    /// the build that generated it is about to compile with it.
    static let freshHeaderAge: TimeInterval = 300

    public let location: CacheLocation
    /// `<16 hex>/<arch>` of the generated vmlinux.h folders the size bound leaves alone: the running
    /// kernel's (GADGETC_KERNEL_BTF, else /sys/kernel/btf/vmlinux), as HostProbe names it.
    let headersInUse: Set<String>

    public init(location: CacheLocation, environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.location = location
        headersInUse = Self.runningKernelHeaders(location: location, environment: environment)
    }

    static func runningKernelHeaders(location: CacheLocation, environment: [String: String]) -> Set<String> {
        let btf = environment["GADGETC_KERNEL_BTF"] ?? "/sys/kernel/btf/vmlinux"
        guard let arch = Architecture.host, let fingerprint = FileFingerprint(path: btf)?.description else { return [] }
        let folder = GeneratedVmlinux.folder(for: arch, btfFingerprint: fingerprint, cache: location)
        return ["\(folder.deletingLastPathComponent().lastPathComponent)/\(folder.lastPathComponent)"]
    }

    public func statistics(maxBytes: Int64 = defaultMaxBytes) -> CacheStatistics {
        let parts = CacheLayout.parts.map { name -> CacheStatistics.Part in
            let files = CacheLayout.entries(of: name, in: location.root)
            return .init(name: name, files: files.count, bytes: files.reduce(0) { $0 + $1.size })
        }
        return CacheStatistics(root: location.root.path, parts: parts, maxBytes: maxBytes)
    }

    public struct PruneResult: Codable, Sendable {
        public var removedFiles: Int
        public var removedBytes: Int64
        public var remainingBytes: Int64
    }

    /// Removes temporaries and PCH locks left by builds that died, then the least recently used
    /// objects, records, PCHs and (last) generated vmlinux.h files until the cache fits `maxBytes`.
    /// Throws when the root is not marked as gadgetc's cache. A build running meanwhile stays correct:
    /// a record whose object is gone is a miss.
    @discardableResult
    public func prune(maxBytes: Int64 = defaultMaxBytes, now: Date = Date()) throws -> PruneResult {
        var result = PruneResult(removedFiles: 0, removedBytes: 0, remainingBytes: 0)
        guard access(location.root.path, F_OK) == 0 else { return result }  // nothing cached yet
        guard location.isMarkedAsGadgetcCache else { throw CacheMaintenanceError.notGadgetcCache(location.root.path) }
        var kept: [CacheLayout.Entry] = []
        for entry in CacheLayout.parts.flatMap({ CacheLayout.entries(of: $0, in: location.root) }) {
            if isLeftover(entry, now: now), unlink(entry.path) == 0 {
                result.removedFiles += 1
                result.removedBytes += entry.size
            } else {
                kept.append(entry)
            }
        }
        var total = kept.reduce(0) { $0 + $1.size }
        // The generated vmlinux.h and the probe's notes are cheap to keep and slow to make: last to go.
        let candidates = kept.filter { isEntry($0) && !isHeaderInUse($0, now: now) }
            .sorted { (rank($0), $0.modified) < (rank($1), $1.modified) }
        for entry in candidates where total > maxBytes {
            guard unlink(entry.path) == 0 else { continue }
            total -= entry.size
            result.removedFiles += 1
            result.removedBytes += entry.size
        }
        result.remainingBytes = total
        try? AtomicFile.write(Data(), to: location.root.appendingPathComponent("last-prune"))
        return result
    }

    /// Prunes with the default bound at most once a day; called after builds.
    public func pruneIfDue() {
        let stamp = location.root.appendingPathComponent("last-prune")
        let last = (try? FileManager.default.attributesOfItem(atPath: stamp.path)[.modificationDate] as? Date) ?? .distantPast
        guard Date().timeIntervalSince(last) > 86_400 else { return }
        _ = try? prune()
    }

    /// A temporary or lock whose writer is gone: a temporary of a dead process (or one older than
    /// any write takes), a PCH lock older than any PCH build, clang's PCH temporary after an hour.
    func isLeftover(_ entry: CacheLayout.Entry, now: Date) -> Bool {
        let age = now.timeIntervalSince(entry.modified)
        switch entry.kind {
        case .temporary(let pid):
            return age > Self.staleTemporaryAge || (age > Self.deadWriterGrace && !ProcessLiveness.isAlive(pid))
        case .precompiledHeaderLock:
            return age > PrecompiledHeaderBuilds.staleLockAge
        case .clangTemporary:
            return age > Self.staleTemporaryAge
        case .object, .record, .precompiledHeader, .vmlinux, .compilers:
            return false
        }
    }

    /// A generated vmlinux.h a build may be reading: the running kernel's, or one made minutes ago.
    func isHeaderInUse(_ entry: CacheLayout.Entry, now: Date) -> Bool {
        guard entry.kind == .vmlinux else { return false }
        let folder = URL(fileURLWithPath: entry.path).deletingLastPathComponent()
        return headersInUse.contains("\(folder.deletingLastPathComponent().lastPathComponent)/\(folder.lastPathComponent)")
            || now.timeIntervalSince(entry.modified) < Self.freshHeaderAge
    }

    /// A finished entry, which the size bound may remove (temporaries and locks only go as leftovers).
    func isEntry(_ entry: CacheLayout.Entry) -> Bool {
        switch entry.kind {
        case .object, .record, .precompiledHeader, .vmlinux, .compilers: return true
        case .temporary, .precompiledHeaderLock, .clangTemporary: return false
        }
    }

    func rank(_ entry: CacheLayout.Entry) -> Int {
        entry.kind == .vmlinux || entry.kind == .compilers ? 1 : 0
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

public enum CacheMaintenanceError: Error, CustomStringConvertible, LocalizedError {
    case notGadgetcCache(String)

    public var description: String {
        switch self {
        case .notGadgetcCache(let root):
            return "\(root) has no CACHEDIR.TAG written by gadgetc, so nothing in it is pruned; point GADGETC_CACHE_DIR at a new or empty folder"
        }
    }

    public var errorDescription: String? { description }
}
