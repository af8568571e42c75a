import Foundation

/// What the cache remembers about one compile command: every file it read, with the fingerprint and
/// digest each had, and the object it produced.
struct CompileRecord: Codable {
    struct Dependency: Codable {
        var path: String
        var fingerprint: String
        var digest: String
    }
    var dependencies: [Dependency]
    var object: String
    /// What the team's cache would file it under (`cache push-local`); nil for a compiler known by its name only.
    var portable: PortableEntry?
    /// The compiler's warnings, shown again on every build that takes the object from the cache.
    var warnings: String?
}

/// A local compile as the team's cache names it: its portable key, this machine's folders by portable
/// name (to make the recorded paths portable), and what the compile cost.
struct PortableEntry: Codable, Equatable {
    var key: String
    var folders: [String: String]
    var milliseconds: Double?
}

/// The content-addressed build cache shared by every gadget and every build on the machine.
///
/// A compile is found by its command key (gadgetc's version, the compiler's identity, the arch, every
/// flag, the folder it runs in, the PCH it uses) and is a hit only if every file its last run read
/// still has the same content: a file whose (size, mtime, inode) fingerprint did not move is taken as
/// unchanged, any other is hashed. Objects live in an `ObjectStore` and are checked against their
/// digest on every use. Entries are written with rename, so a killed build leaves nothing a later
/// build would trust; concurrent builds may write the same entry, which is harmless.
public final class BuildCache: @unchecked Sendable {
    public let location: CacheLocation
    let objects: ObjectStore
    let records: URL
    private let lock = NSLock()
    private var reportedCorruption = Set<String>()
    private var pendingWrites: [Task<Void, Never>] = []
    /// Digests computed by this process, by path, with the fingerprint the file had: the compiles of a
    /// run share vmlinux.h and the PCH (17 MB), which would otherwise be hashed once per compile.
    private var digests: [String: (fingerprint: String, digest: String)] = [:]
    /// Observer for notes: an entry was corrupt, a compile could not be cached.
    var onNote: (@Sendable (String) -> Void)?

    public init(location: CacheLocation) throws {
        self.location = location
        objects = ObjectStore(root: try location.makeFolder("objects"))
        records = try location.makeFolder("records")
    }

    /// The key of a compile command (`ClangInvocation.keyArguments`: output paths are left out, where the
    /// object goes does not change its bytes). The precompiled header, when used, is among the flags
    /// (its path holds its own key).
    public static func compileKey(job: Job, compilerIdentity: String) -> String {
        let arguments = job.clang?.keyArguments ?? Array(job.argv.dropFirst())
        // Container jobs name their sources by container path: the host folder behind /work is what differs.
        let folder = job.workingDirectory.flatMap(job.hostPath) ?? job.workingDirectory ?? ""
        let parts = ["compile", GadgetcVersion.string, compilerIdentity, job.arch?.rawValue ?? "", folder] + arguments
        return ContentDigest.hex(parts.joined(separator: "\u{0}"))
    }

    /// The key of a link: libbpf's version, the input objects' digests, in order, and the debug path map.
    public static func linkKey(inputDigests: [String], libbpfVersion: String, pathMap: [DebugPathMapping] = []) -> String {
        // "btf-canonical": links made before BTF was renumbered canonically are not reused.
        let paths = pathMap.isEmpty ? [] : ["paths"] + pathMap.flatMap { [$0.from, $0.to] }
        return ContentDigest.hex((["link", "btf-canonical", GadgetcVersion.string, libbpfVersion] + inputDigests + paths).joined(separator: "\u{0}"))
    }

    // MARK: Compiles

    /// The cached object for a compile whose inputs are unchanged, with those inputs, or nil.
    public func lookupCompile(key: String) -> (object: Data, dependencies: [String], warnings: String)? {
        guard let data = FileManager.default.contents(atPath: recordPath(key).path),
              let record = try? JSONDecoder().decode(CompileRecord.self, from: data) else { return nil }
        var refreshed = record
        var moved = false
        for (index, dependency) in record.dependencies.enumerated() {
            guard let current = FileFingerprint(path: dependency.path), current.isRegularFile else { return nil }
            let fingerprint = current.description
            if fingerprint == dependency.fingerprint { continue }
            guard let digest = try? digest(of: dependency.path, fingerprint: fingerprint), digest == dependency.digest else { return nil }
            refreshed.dependencies[index].fingerprint = fingerprint  // touched but same content
            moved = true
        }
        guard let object = object(record.object, entry: key) else { return nil }
        if moved { try? write(refreshed, key: key) }
        return (object, record.dependencies.map(\.path), record.warnings ?? "")
    }

    /// Remembers a finished compile that started at `compileStarted` (`FileClock.coarseNow()`): hashes
    /// every file the depfile lists and stores the object. Nothing is stored when an input is not a
    /// regular file, or may have changed after clang read it (modified at or after the compile's start,
    /// or while it was hashed): the digest would vouch for bytes the object was not built from (ccache's
    /// "too new" rule). Returns why it refused, or nil when it stored the entry.
    @discardableResult
    func storeCompile(key: String, dependencies: [String], object: Data, compileStarted: Int64, portable: PortableEntry? = nil,
                      warnings: String = "") throws -> String? {
        // The previous record of the same command knows most digests already (after an edit, every file
        // but the edited one): reuse those whose fingerprint did not move instead of re-hashing
        // vmlinux.h and the PCH (17 MB together) on every edit.
        let previous = FileManager.default.contents(atPath: recordPath(key).path)
            .flatMap { try? JSONDecoder().decode(CompileRecord.self, from: $0) }
        var known: [String: CompileRecord.Dependency] = [:]
        for dependency in previous?.dependencies ?? [] { known[dependency.path] = dependency }
        var entries: [CompileRecord.Dependency] = []
        for path in dependencies {
            guard let before = FileFingerprint(path: path) else { return "\(path) is gone" }
            guard before.isRegularFile else { return "\(path) is not a regular file" }
            guard before.modifiedNanoseconds < compileStarted else { return "\(path) changed while it was compiled" }
            let fingerprint = before.description
            if let old = known[path], old.fingerprint == fingerprint {
                entries.append(old)
                continue
            }
            let digest = try digest(of: path, fingerprint: fingerprint)
            guard FileFingerprint(path: path)?.description == fingerprint else { return "\(path) changed while it was hashed" }
            entries.append(.init(path: path, fingerprint: fingerprint, digest: digest))
        }
        try write(CompileRecord(dependencies: entries, object: try objects.put(object), portable: portable,
                                warnings: warnings.isEmpty ? nil : warnings), key: key)
        return nil
    }

    /// `storeCompile` off the build's critical path: the object is read now (its work folder may go
    /// away), hashed and written by a task that `finishWrites()` waits for.
    func storeCompileInBackground(key: String, dependencies: [String], objectPath: String, compileStarted: Int64, portable: PortableEntry? = nil,
                                  warnings: String = "") {
        guard let object = FileManager.default.contents(atPath: objectPath) else { return }
        let write = Task {
            if let refusal = try? self.storeCompile(key: key, dependencies: dependencies, object: object, compileStarted: compileStarted,
                                                    portable: portable, warnings: warnings) {
                self.onNote?("not cached: \(refusal); the next build compiles it again")
            }
        }
        lock.withLock { pendingWrites.append(write) }
    }

    /// Waits for the writes started with `storeCompileInBackground`, so that they are whole before the
    /// process ends.
    public func finishWrites() async {
        while let write = lock.withLock({ pendingWrites.popLast() }) { await write.value }
        PhaseTrace.mark("cache writes finished")
    }

    // MARK: Links and other whole outputs

    /// An output stored under a key of its own (links): the object, or nil.
    public func lookup(key: String) -> Data? {
        guard let digest = try? String(contentsOf: recordPath(key), encoding: .utf8) else { return nil }
        return object(digest.trimmingCharacters(in: .whitespacesAndNewlines), entry: key)
    }

    public func store(key: String, objectPath: String) throws {
        let digest = try objects.put(fileAt: objectPath)
        let url = recordPath(key)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try AtomicFile.write(Data(digest.utf8), to: url)
    }

    // MARK: Internals

    /// The content digest of `path`, hashed once per process while its fingerprint stays the same.
    func digest(of path: String, fingerprint: String) throws -> String {
        if let known = lock.withLock({ digests[path] }), known.fingerprint == fingerprint { return known.digest }
        let digest = try ContentDigest.hex(fileAt: path)
        lock.withLock { digests[path] = (fingerprint, digest) }
        return digest
    }

    func object(_ digest: String, entry: String) -> Data? {
        switch objects.get(digest) {
        case .hit(let data): return data
        case .missing: return nil
        case .corrupt:
            let first = lock.withLock { reportedCorruption.insert(digest).inserted }
            if first { onNote?("cache entry \(digest.prefix(12)) did not match its digest; discarded it and rebuilding") }
            try? FileManager.default.removeItem(at: recordPath(entry))
            return nil
        }
    }

    func recordPath(_ key: String) -> URL {
        records.appendingPathComponent(String(key.prefix(2))).appendingPathComponent(key)
    }

    func write(_ record: CompileRecord, key: String) throws {
        let url = recordPath(key)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try AtomicFile.write(try encoder.encode(record), to: url)
    }
}
