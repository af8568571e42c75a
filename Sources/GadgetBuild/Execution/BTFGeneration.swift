import Foundation

/// What `--btfgen` made for one arch.
public struct BTFGenSummary: Codable, Equatable, Sendable {
    /// The layer file (`btfs-<x86_64|arm64>.tar.gz`), as a host path.
    public var layer: String
    public var kernels: Int
    /// Kernels bpftool ran for; the rest came from the cache.
    public var minimised: Int
    public var layerBytes: Int
}

/// One arch's btfgen, as ig's builder runs it (`bpftool gen min_core_btf KERNEL.btf OUT.btf OBJECT` for
/// every kernel of that arch in the archive) but in parallel under `-j`, each result cached by (object,
/// kernel file) so that a rebuild redoes only what changed, and packaged as a deterministic tar.gz.
/// Tarballs are unpacked on the host with tar; bpftool runs where the arch's toolchain runs (in the
/// builder container for a container build), reading and writing the scratch folder through its mount.
struct BTFGeneration: Sendable {
    struct Minimiser: Sendable {
        var tool: BPFTool
        /// Where bpftool runs; it reads and writes the scratch folder and the object through the toolchain's paths.
        var toolchain: StepToolchain

        /// What the cache key knows the tool by: its version, and on the container the image too.
        var identity: String { toolchain.kind == .container ? "\(toolchain.compilerIdentity) \(tool.version)" : tool.version }

        func path(_ hostPath: String) -> String { toolchain.visiblePath(hostPath) ?? hostPath }
    }

    let archive: BTFHubArchive
    let arch: Architecture
    /// The linked object, a host path.
    let object: String
    let minimiser: Minimiser
    /// Runs tar on the host.
    let unpacker: CommandRunning
    let slots: JobSlots
    let cache: BuildCache?
    /// A folder of the build's own for unpacked and minimised BTF (removed per kernel as it goes).
    let scratch: URL
    /// Every entry's time in the layer: SOURCE_DATE_EPOCH, else 0 (a time there says nothing about the content).
    let modified: Int64
    /// How often a long btfgen says how far it is.
    static let progressInterval = Duration.seconds(3)

    /// Makes the layer; returns what it did and what it read (the archive's files and the folders listed:
    /// a change to any of them makes the next build look again).
    func run(into layer: URL, progress: @escaping @Sendable (String) -> Void) async throws -> (BTFGenSummary, inputs: [String]) {
        let (kernels, folders) = try archive.kernels(for: arch)
        let misplaced = BTFHubArchive.misplaced(kernels)
        if let example = misplaced.first {
            progress("warning: [\(arch)] \(misplaced.count) of \(kernels.count) BTF files are not at <distro>/<version>/\(arch.btfHubName)/<kernel>.btf under \(archive.root.path) (e.g. \(example.entryName)); ig looks kernels up by that name: give --btfhub-archive the archive's root")
        }
        let objectDigest = try ContentDigest.hex(fileAt: object)
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let memo = KernelDigests(cache: cache, archive: archive.root.path, arch: arch)
        let known = memo.load()
        let results = try await withThrowingTaskGroup(of: (Int, Data, Bool, KernelDigests.Entry?).self) { group in
            for (index, kernel) in kernels.enumerated() {
                group.addTask {
                    let (digest, entry) = try KernelDigests.digest(of: kernel.path, known: known[kernel.path])
                    let (data, ran) = try await minimalBTF(kernel, index: index, objectDigest: objectDigest, kernelDigest: digest)
                    return (index, data, ran, entry)
                }
            }
            var results = [(Data, Bool)?](repeating: nil, count: kernels.count)
            var entries: [String: KernelDigests.Entry] = [:]
            // An archive of hundreds of kernels takes tens of seconds cold: a line every few seconds says how far it is.
            var (done, minimised, lastReport) = (0, 0, ContinuousClock.now)
            while let (index, data, ran, entry) = try await group.next() {
                results[index] = (data, ran)
                if let entry { entries[kernels[index].path] = entry }
                done += 1
                if ran { minimised += 1 }
                if done < kernels.count, ContinuousClock.now - lastReport >= Self.progressInterval {
                    lastReport = .now
                    progress("[\(arch)] btfgen: \(done) of \(kernels.count) kernels done (\(minimised) minimised so far)")
                }
            }
            memo.save(entries)
            return results.compactMap { $0 }
        }
        let entries = zip(kernels, results).map { DeterministicTarball.Entry(name: $0.entryName, contents: $1.0) }
        let bytes = try DeterministicTarball.gzipped(entries, modified: modified)
        try AtomicFile.write(bytes, to: layer)
        return (BTFGenSummary(layer: layer.path, kernels: kernels.count, minimised: results.filter(\.1).count, layerBytes: bytes.count),
                kernels.map(\.path) + folders)
    }

    /// One kernel's minimal BTF for the object, from the cache or made now; and whether bpftool ran.
    func minimalBTF(_ kernel: BTFHubArchive.Kernel, index: Int, objectDigest: String, kernelDigest: String) async throws -> (Data, Bool) {
        // The member name is part of what a tarball is: the same bytes under another kernel's name hold no
        // `<kernel>.btf` and fail without the cache, so they must not be a hit with it.
        let key = ContentDigest.hex(["btfgen", GadgetcVersion.string, minimiser.identity, objectDigest, kernelDigest,
                                     kernel.isCompressed ? kernel.btfFileName : ""].joined(separator: "\u{0}"))
        if let cached = cache?.lookup(key: key) { return (cached, false) }
        return try await slots.withSlot {
            try Task.checkCancellation()
            let folder = scratch.appendingPathComponent("\(index)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: folder) }
            let btf = try await unpack(kernel, into: folder)
            let output = folder.appendingPathComponent("min.btf").path
            let argv = minimiser.tool.minimise(kernelBTF: minimiser.path(btf), into: minimiser.path(output), object: minimiser.path(object))
            let result = try await minimiser.toolchain.runner.run(argv, workingDirectory: nil)
            guard result.succeeded, FileKind(path: output) == .regular else {
                let said = result.standardError.split(separator: "\n").last(where: { !$0.trimmingCharacters(in: .whitespaces).isEmpty })
                throw BTFGenError.minimisationFailed(kernel: kernel.path, reason: said.map(String.init) ?? "exit status \(result.status)")
            }
            let data = try Data(contentsOf: URL(fileURLWithPath: output))
            try? cache?.store(key: key, objectPath: output)
            return (data, true)
        }
    }

    /// The kernel's BTF as a file in `folder`: unpacked from its tarball, or copied (the builder
    /// container sees the scratch folder, not the archive).
    func unpack(_ kernel: BTFHubArchive.Kernel, into folder: URL) async throws -> String {
        let target = folder.appendingPathComponent(kernel.btfFileName).path
        guard kernel.isCompressed else {
            try FileManager.default.copyItem(atPath: kernel.path, toPath: target)
            return target
        }
        // tar drops leading '/' and '..' of member names; a member of another name is simply not used.
        let result = try await unpacker.run(["tar", "-xJf", kernel.path, "-C", folder.path, "--no-same-owner", "--no-same-permissions"],
                                            workingDirectory: nil)
        guard result.succeeded else {
            let said = result.standardError.split(separator: "\n").first.map(String.init) ?? "tar exit status \(result.status)"
            throw BTFGenError.corruptTarball(kernel.path, reason: said)
        }
        guard FileKind(path: target) == .regular else {
            throw BTFGenError.corruptTarball(kernel.path, reason: "it holds no \(kernel.btfFileName)")
        }
        return target
    }
}

/// The archive's files' digests from the last build, by fingerprint (size, mtime, inode), as the compile
/// cache trusts its inputs' fingerprints: a rebuild hashes only files that moved, not 500 × 1.5 MB.
/// Kept as one record per (archive, arch) in the cache; a lost or damaged one only means hashing again.
struct KernelDigests: Sendable {
    struct Entry: Codable, Sendable {
        var fingerprint: String
        var digest: String
    }

    let record: URL?

    init(cache: BuildCache?, archive: String, arch: Architecture) {
        record = cache?.recordPath(ContentDigest.hex("btfgen-kernel-digests\u{0}\(archive)\u{0}\(arch)"))
    }

    func load() -> [String: Entry] {
        guard let record, let data = FileManager.default.contents(atPath: record.path) else { return [:] }
        return (try? JSONDecoder().decode([String: Entry].self, from: data)) ?? [:]
    }

    func save(_ entries: [String: Entry]) {
        guard let record, let data = try? JSONEncoder().encode(entries) else { return }
        try? FileManager.default.createDirectory(at: record.deletingLastPathComponent(), withIntermediateDirectories: true)
        try? AtomicFile.write(data, to: record)
    }

    /// The file's digest (remembered when its fingerprint has not moved), and what to remember for next
    /// time: nothing for a file modified within the last 10 ms, whose fingerprint could hide a write in
    /// the same clock tick (git's "racy" case).
    static func digest(of path: String, known: Entry?) throws -> (String, Entry?) {
        guard let fingerprint = FileFingerprint(path: path), fingerprint.isRegularFile else {
            throw BTFGenError.kernelUnreadable(path, "not a regular file any more")
        }
        if let known, known.fingerprint == fingerprint.description { return (known.digest, known) }
        let digest: String
        do {
            digest = try ContentDigest.hex(fileAt: path)
        } catch {
            throw BTFGenError.kernelUnreadable(path, (error as? UnreadableFile)?.reason ?? "\(error)")
        }
        let racy = fingerprint.modifiedNanoseconds >= BuildRecord.now() - 10_000_000
        guard !racy, FileFingerprint(path: path)?.description == fingerprint.description else { return (digest, nil) }
        return (digest, Entry(fingerprint: fingerprint.description, digest: digest))
    }
}
