import Foundation

/// A generated cache file gadgetc vouches for: `<file>.seal` beside it holds the fingerprint and digest
/// the file had when gadgetc finished it. A file that no longer has that fingerprint (edited, truncated,
/// flipped, or left without a seal by a killed build) is not used and is made again. The generated
/// vmlinux.h and the precompiled headers are sealed this way.
public enum FileSeal {
    static func path(of file: String) -> String { file + ".seal" }

    /// Whether a seal's text vouches for a file whose fingerprint is `fingerprint`.
    static func holds(sealText: String?, fingerprint: String?) -> Bool {
        guard let sealText, let fingerprint else { return false }
        return sealText.split(separator: "\n").first.map(String.init) == fingerprint
    }

    /// Whether `file` is there and as it was sealed.
    public static func isSealed(_ file: String) -> Bool {
        holds(sealText: FileManager.default.contents(atPath: path(of: file)).flatMap { String(data: $0, encoding: .utf8) },
              fingerprint: FileFingerprint(path: file)?.description)
    }

    /// The same, asked through `host` (the probe's fake hosts in tests).
    static func isSealed(_ file: String, host: HostSystem) -> Bool {
        holds(sealText: host.readFile(path(of: file)).flatMap { String(data: $0, encoding: .utf8) }, fingerprint: host.fingerprint(file))
    }

    /// Seals `file` as `name` will be once `file` is renamed to it (a rename keeps size, mtime and inode,
    /// so the fingerprint sealed is the one `name` will have).
    static func seal(_ file: String, as name: String? = nil) throws {
        guard let fingerprint = FileFingerprint(path: file) else { throw UnreadableFile(path: file, reason: "gone") }
        let digest = try ContentDigest.hex(fileAt: file)
        try AtomicFile.write(Data("\(fingerprint.description)\n\(digest)\n".utf8), to: URL(fileURLWithPath: path(of: name ?? file)))
    }

    /// Removes a file that can no longer be trusted, and its seal.
    public static func discard(_ file: String) {
        unlink(file)
        unlink(path(of: file))
    }
}
