import Foundation

/// A compile's key and paths as every machine has them, for the team's cache.
struct PortableCompile: Sendable {
    var key: String
    var paths: PortablePaths
    /// The arch's link path map: where an object taken from the cache gets its folders mapped to.
    var linkMap: [DebugPathMapping] = []

    /// The key of a compile on any machine: gadgetc's version, the compiler's portable identity (its
    /// version line, or the builder image's id), the arch, every flag with its paths made portable.
    /// The precompiled header is left out: it only permutes BTF type ids, which the link makes canonical,
    /// so a machine without one takes the object another made with one, and the image is the same.
    /// The source's digest is in it too: every gadget's main source is `program.bpf.c` under `$GADGET`, and
    /// one key holds one record, so without it the gadgets of a team would overwrite each other's entries.
    static func key(_ invocation: ClangInvocation, compiler: String, paths: PortablePaths, sourceDigest: String) -> String {
        var command = invocation
        command.precompiledHeader = nil
        command.clang = "clang"
        let parts = ["remote-compile-v2", GadgetcVersion.string, compiler, invocation.arch.rawValue, sourceDigest]
            + command.keyArguments.map(paths.portableArgument)
        return ContentDigest.hex(parts.joined(separator: "\u{0}"))
    }

    /// The portable key of a compile job, when its compiler is known by more than its file (a compiler
    /// taken by its name has no version line until its identification gives `versionLine`). Made for
    /// every compile that runs, remote cache or not: the local record keeps it for `cache push-local`.
    static func make(_ job: Job, plan: BuildPlan, toolchain: StepToolchain, versionLine: String? = nil) -> PortableCompile? {
        guard let invocation = job.clang, let arch = job.arch, let paths = plan.portablePaths[arch.rawValue] else { return nil }
        let compiler: String
        if toolchain.kind == .container {
            guard let id = toolchain.compilerIdentity.split(separator: " ").last else { return nil }
            compiler = "image \(id)"
        } else {
            guard let line = versionLine ?? plan.compiler?.versionLine, !line.isEmpty else { return nil }
            compiler = "clang \(line)"
        }
        let linkMap = plan.jobs(.link).first { $0.arch == arch }?.pathMap ?? []
        guard let source = invocation.source,
              let path = job.hostPath(URL(fileURLWithPath: source, relativeTo: URL(fileURLWithPath: job.workingDirectory ?? "/")).standardizedFileURL.path),
              let digest = try? ContentDigest.hex(fileAt: path) else { return nil }
        return PortableCompile(key: key(invocation, compiler: compiler, paths: paths, sourceDigest: digest), paths: paths, linkMap: linkMap)
    }
}

extension BuildExecutor {
    /// The object the team's cache has for `portable`, with the files it was made from as this machine
    /// has them: only when each of those has here the digest it had there.
    func remoteHit(_ portable: PortableCompile, readable: ReadableFolders?, workingDirectory: String?) async -> (object: Data, dependencies: [String], origin: [String: String], warnings: String)? {
        guard let remote, remote.isEnabled, let record = await remote.record(portable.key) else { return nil }
        var dependencies: [String] = []
        for dependency in record.dependencies {
            guard let path = portable.paths.host(dependency.path), let fingerprint = FileFingerprint(path: path), fingerprint.isRegularFile,
                  digestOf(path, fingerprint: fingerprint, cache: cache) == dependency.digest else {
                remote.record(miss: true)
                return nil
            }
            dependencies.append(path)
        }
        // A record naming a file outside what this build may read is not used: the compile shows why.
        if let readable, readable.firstOutside(dependencies, relativeTo: workingDirectory) != nil {
            remote.record(miss: true)
            return nil
        }
        guard let object = await remote.blob(record.object) else {
            remote.record(miss: true)
            return nil
        }
        remote.record(miss: false, saved: record.milliseconds)
        return (object, dependencies, record.folders ?? [:], record.warnings ?? "")
    }

    /// After a compile made here: its record for the team (`--remote-cache-upload`), in the background.
    /// The precompiled header is not among the files (it is this machine's; the key leaves it out).
    func uploadCompile(_ portable: PortableCompile, dependencies: [String], objectPath: String, milliseconds: Double, warnings: String) {
        guard let remote, remote.settings.upload, let object = FileManager.default.contents(atPath: objectPath) else { return }
        let cache = self.cache
        remote.uploadInBackground(key: portable.key) {
            var entries: [RemoteCompileRecord.Dependency] = []
            for path in dependencies where !path.hasSuffix(".pch") {
                guard let fingerprint = FileFingerprint(path: path), let digest = digestOf(path, fingerprint: fingerprint, cache: cache) else { return nil }
                entries.append(.init(path: portable.paths.portable(path), digest: digest))
            }
            return (RemoteCompileRecord(dependencies: entries, object: "sha256:" + ContentDigest.hex(object), folders: portable.paths.folders,
                                        milliseconds: milliseconds, warnings: warnings.isEmpty ? nil : warnings), object)
        }
    }
}

/// A file's content digest: the cache's (hashed once per run while its fingerprint holds), else hashed now.
private func digestOf(_ path: String, fingerprint: FileFingerprint, cache: BuildCache?) -> String? {
    try? cache?.digest(of: path, fingerprint: fingerprint.description) ?? ContentDigest.hex(fileAt: path)
}

/// The folders of other machines that objects from the team's cache record in their BTF line info
/// (clang records the real paths it read): the link maps each of them as it maps this machine's folder
/// of the same name (the gadget folder to /work, …), so the image is the one this machine would make.
final class RemoteOrigins: @unchecked Sendable {
    private let lock = NSLock()
    private var additions: [Architecture: [DebugPathMapping]] = [:]

    func add(_ arch: Architecture, origin: [String: String], here: PortablePaths, linkMap: [DebugPathMapping]) {
        var mappings: [DebugPathMapping] = []
        for (name, folder) in origin {
            guard let local = here.folders[name], local != folder else { continue }
            let target = linkMap.first { $0.from == local }?.to ?? local
            mappings.append(DebugPathMapping(from: folder, to: target))
        }
        guard !mappings.isEmpty else { return }
        lock.withLock {
            for mapping in mappings where !(additions[arch] ?? []).contains(mapping) { additions[arch, default: []].append(mapping) }
        }
    }

    func mappings(for arch: Architecture) -> [DebugPathMapping] {
        lock.withLock { (additions[arch] ?? []).sorted { ($0.from, $0.to) < ($1.from, $1.to) } }
    }
}
