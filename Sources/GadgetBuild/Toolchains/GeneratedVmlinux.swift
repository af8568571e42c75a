import Crypto
import Foundation

/// vmlinux.h made from the running kernel's BTF, cached per (arch, BTF file identity).
///
/// A generated header is trusted only while it is sealed: `vmlinux.h.seal` beside it holds the
/// fingerprint and digest the header had when gadgetc wrote it. A header changed since (edited,
/// truncated, flipped) or left without a seal by a killed build is generated again, with or without
/// `--no-cache`, so a damaged cache never changes what a gadget is compiled against.
public enum GeneratedVmlinux {
    /// Where the header for `arch` goes: in the cache, or in the temporary folder when the cache's
    /// folder cannot hold it (GADGETC_CACHE_DIR naming a file): a build never fails for its cache.
    public static func folder(for arch: Architecture, btfFingerprint: String, cache: CacheLocation?) -> URL {
        let digest = SHA256.hash(data: Data("\(arch) \(btfFingerprint)".utf8)).map { String(format: "%02x", $0) }.joined()
        let usable = cache.flatMap { canHoldFolders($0.root) ? $0 : nil }
        let root = usable?.folder("vmlinux") ?? URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("gadgetc-vmlinux")
        return root.appendingPathComponent(String(digest.prefix(16))).appendingPathComponent(arch.rawValue)
    }

    static func sealPath(of header: String) -> String { header + ".seal" }

    /// Whether folders can be made at `url`: the nearest part of it that exists is a folder.
    static func canHoldFolders(_ url: URL) -> Bool {
        var current = url
        var info = stat()
        while stat(current.path, &info) != 0 {
            guard errno == ENOENT, current.path != "/" else { return false }
            current.deleteLastPathComponent()
        }
        return (info.st_mode & S_IFMT) == S_IFDIR
    }

    /// Whether `header` is as gadgetc wrote it (its fingerprint is the sealed one).
    public static func isSealed(_ header: String, host: HostSystem) -> Bool {
        guard let seal = host.readFile(sealPath(of: header)).flatMap({ String(data: $0, encoding: .utf8) }),
              let fingerprint = host.fingerprint(header) else { return false }
        return seal.split(separator: "\n").first.map(String.init) == fingerprint
    }

    /// Generates `header` from `btf` and seals it. Returns once the file clock has moved past the
    /// header's modification time, so that compiles starting next see it as older than themselves.
    public static func generate(fromBTF btf: URL, to header: URL) throws {
        try VmlinuxHeader.generate(fromBTF: btf, to: header)
        guard let fingerprint = FileFingerprint(path: header.path) else { return }
        let digest = try ContentDigest.hex(fileAt: header.path)
        try AtomicFile.write(Data("\(fingerprint.description)\n\(digest)\n".utf8), to: URL(fileURLWithPath: sealPath(of: header.path)))
        while FileClock.coarseNow() <= fingerprint.modifiedNanoseconds { usleep(1000) }
    }
}
