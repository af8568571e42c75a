import Foundation

/// The no-op rebuild's shortcut, after swift-driver's build record: what the last successful build of
/// the same request read (every file, and the folders whose listing decides which compiler and
/// headers the probe finds), and what it produced. When nothing moved and the image is still tagged,
/// the build is up to date: no probe, no compile, no packaging.
public struct BuildRecord: Codable, Sendable {
    /// path → fingerprint (size, mtime, inode) when the build finished.
    public var fingerprints: [String: String]
    public var outcome: BuildOutcome
    /// The probe's answer for a build that ran natively, and the fingerprints of what that answer rests
    /// on: the next build of the same request, after an edit to the gadget, reuses it while none moved.
    /// (A container build asks its engine again every time.)
    public var probe: ProbeReport?
    public var probeFingerprints: [String: String]?

    /// The record's key: everything about the request and the environment that changes the result.
    public static func key(_ request: BuildRequest, environment: [String: String]) -> String {
        let relevant = ["PATH", "GADGETC_CLANG", "IG_SOURCE_PATH", "SOURCE_DATE_EPOCH", "GADGETC_BPF_DIR", "GADGETC_KERNEL_BTF",
                        "GADGETC_PCH", "DOCKER_HOST", "CONTAINER_HOST", "HOME"].map { "\($0)=\(environment[$0] ?? "")" }
        let fields: [String] = [
            "record", GadgetcVersion.string,
            URL(fileURLWithPath: request.gadgetFolder).standardizedFileURL.path,
            request.buildFile.map { URL(fileURLWithPath: $0).standardizedFileURL.path } ?? "",
            request.architectures.map(\.rawValue).joined(separator: ","), request.toolchain.rawValue,
            request.includeDirectories.map { URL(fileURLWithPath: $0).standardizedFileURL.path }.joined(separator: ":"),
            request.tag ?? "", request.outputDirectory.map { URL(fileURLWithPath: $0).standardizedFileURL.path } ?? "",
            request.ociLayout.map { URL(fileURLWithPath: $0).standardizedFileURL.path } ?? "",
            "\(request.validateMetadata)", request.container.engineOption ?? "", request.container.image, request.container.pullPolicy.rawValue,
            "\(geteuid())", request.builderVersion ?? "",
            request.btfHubArchive.map { "btfgen " + URL(fileURLWithPath: $0).standardizedFileURL.path } ?? "",
        ] + relevant
        return ContentDigest.hex(fields.joined(separator: "\u{0}"))
    }

    /// Folders whose entries decide what the probe finds: a new clang on PATH or new headers change them.
    static func probedFolders(_ request: BuildRequest, environment: [String: String]) -> [String] {
        var folders = (environment["PATH"] ?? "").split(separator: ":").map(String.init)
        folders += ["/usr/lib", "/usr/include", "/usr/include/gadget", "/usr/include/bpf", "/usr/local/include"]
        folders += request.includeDirectories.map { URL(fileURLWithPath: $0).standardizedFileURL.path }
        if let source = environment["IG_SOURCE_PATH"] { folders.append("\(source)/include") }
        return folders
    }

    /// Makes the record of a finished build that started at `started` (nanoseconds since 1970). A file
    /// modified while the build ran (or within a clock tick before) is recorded as "racy", which matches
    /// no fingerprint: its fingerprint now could vouch for bytes the build did not read (git's "racy
    /// index" case), so the next build looks at it. The probe's answer is not kept when a file it rests on
    /// is racy, e.g. the vmlinux.h this build generated after the probe found none.
    static func make(request: BuildRequest, environment: [String: String], outcome: BuildOutcome, probe: ProbeReport? = nil,
                     started: Int64) -> BuildRecord {
        let probeFiles = probedFiles(request, environment: environment, compiler: outcome.compiler?.path, probe: probe)
        let objects = outcome.architectures.compactMap(\.object)
        let paths = outcome.inputs + probeFiles + objects
        var fingerprints: [String: String] = [:]
        var movedDuringBuild = Set<String>()
        // File times come from the kernel's coarse clock (one tick, at most 10 ms, behind): this close to
        // the start counts as during.
        let margin: Int64 = 10_000_000
        // A vmlinux.h the probe said was still to be generated was written by this build, before its compiles.
        let generated = Set((probe?.vmlinux.values ?? [:].values).filter { $0.kind == .kernelBTF }.map { "\($0.includeDirectory)/vmlinux.h" })
        for path in paths {
            let fingerprint = FileFingerprint(path: path)
            fingerprints[path] = fingerprint?.description ?? "absent"
            if let fingerprint, fingerprint.modifiedNanoseconds >= started - margin, !objects.contains(path) {
                movedDuringBuild.insert(path)
                if !generated.contains(path) { fingerprints[path] = Self.racy }
            }
        }
        var record = BuildRecord(fingerprints: fingerprints, outcome: outcome)
        if let probe, outcome.architectures.allSatisfy({ $0.toolchain == .native }), movedDuringBuild.isDisjoint(with: probeFiles) {
            record.probe = probe
            record.probeFingerprints = fingerprints.filter { probeFiles.contains($0.key) }
        }
        return record
    }

    /// Matches no fingerprint.
    static let racy = "racy"

    /// Now, as nanoseconds since 1970 (file modification times' clock).
    static func now() -> Int64 {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return Int64(time.tv_sec) * 1_000_000_000 + Int64(time.tv_nsec)
    }

    /// The folders and files the probe's answer depends on: the folders it lists, the compiler, the
    /// vmlinux.h files and BTF it found, the libbpf headers' version.
    static func probedFiles(_ request: BuildRequest, environment: [String: String], compiler: String?, probe: ProbeReport?) -> [String] {
        var paths = probedFolders(request, environment: environment) + ["/usr/include/bpf/libbpf_version.h"]
        if let compiler { paths.append(compiler) }
        // A vmlinux.h still to be generated counts too: once it exists, the probe names it as a file.
        for source in probe?.vmlinux.values ?? [:].values {
            paths += ["\(source.includeDirectory)/vmlinux.h", source.btfPath ?? ""]
        }
        if let compat = probe?.includeLayout?.libbpfCompatDirectory { paths.append(compat) }
        return paths.filter { !$0.isEmpty }
    }

    /// Whether every recorded file and folder is as it was.
    var isCurrent: Bool { Self.unchanged(fingerprints) }

    /// The recorded probe answer, when nothing it rests on moved.
    var reusableProbe: ProbeReport? {
        guard let probe, let probeFingerprints, !probeFingerprints.isEmpty, Self.unchanged(probeFingerprints) else { return nil }
        return probe
    }

    static func unchanged(_ fingerprints: [String: String]) -> Bool {
        fingerprints.allSatisfy { path, recorded in (FileFingerprint(path: path)?.description ?? "absent") == recorded }
    }
}

/// Where build records live: `<cache>/builds/<key>`.
struct BuildRecords {
    let folder: URL

    init(cache: CacheLocation) { folder = cache.folder("builds") }

    func load(_ key: String) -> BuildRecord? {
        guard let data = FileManager.default.contents(atPath: folder.appendingPathComponent(key).path) else { return nil }
        return try? JSONDecoder().decode(BuildRecord.self, from: data)
    }

    func save(_ record: BuildRecord, key: String) {
        guard (try? CacheLocation.createFolders(folder)) != nil else { return }
        let data: Data
        do { data = try JSONEncoder().encode(record) } catch { return }
        try? AtomicFile.write(data, to: folder.appendingPathComponent(key))
    }
}
