import Foundation

/// The no-op rebuild's shortcut, after swift-driver's build record: what the last successful build of
/// the same request read (every file, and the folders whose listing decides which compiler and
/// headers the probe finds), and what it produced. When nothing moved and the image is still tagged,
/// the build is up to date: no probe, no compile, no packaging.
public struct BuildRecord: Codable, Sendable {
    /// path → fingerprint (size, mtime, inode) when the build finished.
    public var fingerprints: [String: String]
    public var outcome: BuildOutcome

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
            "\(geteuid())",
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

    /// Makes the record of a finished build.
    static func make(request: BuildRequest, environment: [String: String], outcome: BuildOutcome) -> BuildRecord {
        var paths = outcome.inputs + probedFolders(request, environment: environment)
        if let compiler = outcome.compiler?.path { paths.append(compiler) }
        paths += outcome.architectures.compactMap(\.object)
        var fingerprints: [String: String] = [:]
        for path in paths { fingerprints[path] = FileFingerprint(path: path)?.description ?? "absent" }
        return BuildRecord(fingerprints: fingerprints, outcome: outcome)
    }

    /// Whether every recorded file and folder is as it was.
    var isCurrent: Bool {
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
        guard (try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)) != nil,
              let data = try? JSONEncoder().encode(record) else { return }
        try? AtomicFile.write(data, to: folder.appendingPathComponent(key))
    }
}
