import Crypto
import Foundation

/// vmlinux.h made from the running kernel's BTF, cached per (arch, BTF file identity).
///
/// A generated header is trusted only while it is sealed (`FileSeal`): one changed since, or left
/// without a seal by a killed build, is generated again, with or without `--no-cache`, so a damaged
/// cache never changes what a gadget is compiled against.
public enum GeneratedVmlinux {
    /// Where the header for `arch` goes: in the cache, or in the temporary folder when the cache's
    /// folder cannot hold it (GADGETC_CACHE_DIR naming a file): a build never fails for its cache.
    public static func folder(for arch: Architecture, btfFingerprint: String, cache: CacheLocation?) -> URL {
        let digest = SHA256.hash(data: Data("\(arch) \(btfFingerprint)".utf8)).map { String(format: "%02x", $0) }.joined()
        let usable = cache.flatMap { canHoldFolders($0.root) ? $0 : nil }
        let root = usable?.folder("vmlinux") ?? URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("gadgetc-vmlinux")
        return root.appendingPathComponent(String(digest.prefix(16))).appendingPathComponent(arch.rawValue)
    }

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

    /// Runs a plan's `generateVmlinux` job: nothing when a sealed header is there (another build made it),
    /// else the header's folder and the header, with one line saying what to do when the cache cannot hold it.
    static func run(_ job: Job) throws {
        guard let output = job.outputs.first, let btf = job.inputs.first, !FileSeal.isSealed(output) else { return }
        let folder = URL(fileURLWithPath: output).deletingLastPathComponent().path
        do {
            try CacheLocation.createFolders(URL(fileURLWithPath: folder))
        } catch {
            throw ExecutionError.step("cannot write vmlinux.h into \(folder): \(FoundationErrorText.describe(error) ?? "\(error)"); set GADGETC_CACHE_DIR (or XDG_CACHE_HOME) to a writable folder, or pass -I DIR with <arch>/vmlinux.h")
        }
        try generate(fromBTF: URL(fileURLWithPath: btf), to: URL(fileURLWithPath: output))
    }

    /// Generates `header` from `btf` and seals it. Returns once the file clock has moved past the
    /// header's modification time, so that compiles starting next see it as older than themselves.
    public static func generate(fromBTF btf: URL, to header: URL) throws {
        try VmlinuxHeader.generate(fromBTF: btf, to: header)
        try FileSeal.seal(header.path)
        let modified = FileFingerprint(path: header.path)?.modifiedNanoseconds ?? 0
        while FileClock.coarseNow() <= modified { usleep(1000) }
    }
}
