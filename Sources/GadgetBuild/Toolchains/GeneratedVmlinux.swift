import Crypto
import Foundation

/// vmlinux.h made from the running kernel's BTF, cached per (arch, BTF file identity).
public enum GeneratedVmlinux {
    public static func folder(for arch: Architecture, btfFingerprint: String, cache: CacheLocation?) -> URL {
        let digest = SHA256.hash(data: Data("\(arch) \(btfFingerprint)".utf8)).map { String(format: "%02x", $0) }.joined()
        let root = cache?.folder("vmlinux") ?? URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("gadgetc-vmlinux")
        return root.appendingPathComponent(String(digest.prefix(16))).appendingPathComponent(arch.rawValue)
    }
}
