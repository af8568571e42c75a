import Foundation

/// What build.yaml's `wasm` key names, as ig reads it (by the file's extension): a module built
/// elsewhere and packaged as it is, a Go source built with `go build`, or a Rust source whose crate's
/// Cargo.toml is in the folder above it (`rust/src/lib.rs` → `rust/Cargo.toml`).
public enum WasmSource: Codable, Equatable, Hashable, Sendable {
    case module(URL)
    case go(source: URL)
    case rust(source: URL, manifest: URL)

    /// The file build.yaml names.
    public var source: URL {
        switch self {
        case .module(let url), .go(let url), .rust(let url, _): return url
        }
    }

    /// Whether a toolchain has to build it.
    public var needsBuild: Bool {
        if case .module = self { return false }
        return true
    }

    /// ig's kinds by extension; nil for one ig refuses too.
    static func kind(ofPath path: String) -> String? {
        switch URL(fileURLWithPath: path).pathExtension {
        case "wasm": return "wasm"
        case "go": return "go"
        case "rs": return "rs"
        default: return nil
        }
    }
}
