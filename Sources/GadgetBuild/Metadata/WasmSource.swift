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
    public var needsBuild: Bool { language != nil }

    /// The language of a source a toolchain builds; nil for a module packaged as it is.
    public var language: WasmCompiler.Language? {
        switch self {
        case .module: return nil
        case .go: return .go
        case .rust: return .rust
        }
    }

    /// What ig makes of a path, by its extension: a module (`.wasm`), or the language of a source
    /// (`.go`, `.rs`); nil for anything else, which ig refuses too.
    static func kind(ofPath path: String) -> (module: Bool, language: WasmCompiler.Language?)? {
        switch URL(fileURLWithPath: path).pathExtension {
        case "wasm": return (true, nil)
        case "go": return (false, .go)
        case "rs": return (false, .rust)
        default: return nil
        }
    }
}
