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
        var runner: CommandRunning
        /// What the cache key knows the tool by: its version on the host, the image's identity in the container.
        var identity: String
        /// A host path under the scratch folder as the tool sees it.
        var path: @Sendable (String) -> String
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
        let results = try await withThrowingTaskGroup(of: (Int, Data, Bool).self) { group in
            for (index, kernel) in kernels.enumerated() {
                group.addTask {
                    let (data, ran) = try await minimalBTF(kernel, index: index, objectDigest: objectDigest)
                    return (index, data, ran)
                }
            }
            var results = [(Data, Bool)?](repeating: nil, count: kernels.count)
            while let (index, data, ran) = try await group.next() { results[index] = (data, ran) }
            return results.compactMap { $0 }
        }
        let entries = zip(kernels, results).map { DeterministicTarball.Entry(name: $0.entryName, contents: $1.0) }
        let bytes = try DeterministicTarball.gzipped(entries, modified: modified)
        try AtomicFile.write(bytes, to: layer)
        return (BTFGenSummary(layer: layer.path, kernels: kernels.count, minimised: results.filter(\.1).count, layerBytes: bytes.count),
                kernels.map(\.path) + folders)
    }

    /// One kernel's minimal BTF for the object, from the cache or made now; and whether bpftool ran.
    func minimalBTF(_ kernel: BTFHubArchive.Kernel, index: Int, objectDigest: String) async throws -> (Data, Bool) {
        let kernelDigest: String
        do {
            kernelDigest = try ContentDigest.hex(fileAt: kernel.path)
        } catch {
            throw BTFGenError.archiveUnreadable(kernel.path, "\(error)")
        }
        let key = ContentDigest.hex(["btfgen", GadgetcVersion.string, minimiser.identity, objectDigest, kernelDigest].joined(separator: "\u{0}"))
        if let cached = cache?.lookup(key: key) { return (cached, false) }
        return try await slots.withSlot {
            try Task.checkCancellation()
            let folder = scratch.appendingPathComponent("\(index)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: folder) }
            let btf = try await unpack(kernel, into: folder)
            let output = folder.appendingPathComponent("min.btf").path
            let argv = minimiser.tool.minimise(kernelBTF: minimiser.path(btf), into: minimiser.path(output), object: minimiser.path(object))
            let result = try await minimiser.runner.run(argv, workingDirectory: nil)
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
