import Foundation

/// Where gadgetc keeps what it can rebuild: `$XDG_CACHE_HOME/gadgetc`, else `~/.cache/gadgetc`.
public struct CacheLocation: Sendable, Equatable {
    public var root: URL

    public init(root: URL) { self.root = root }

    public init(environment: [String: String]) {
        if let override = environment["GADGETC_CACHE_DIR"], !override.isEmpty {
            root = URL(fileURLWithPath: override)
        } else if let xdg = environment["XDG_CACHE_HOME"], xdg.hasPrefix("/") {
            root = URL(fileURLWithPath: xdg).appendingPathComponent("gadgetc")
        } else {
            let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
            root = URL(fileURLWithPath: home).appendingPathComponent(".cache/gadgetc")
        }
    }

    public func folder(_ name: String) -> URL { root.appendingPathComponent(name, isDirectory: true) }

    /// Creates `name` under the root, marking the root with a CACHEDIR.TAG so backup tools skip it.
    public func makeFolder(_ name: String) throws -> URL {
        let url = folder(name)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        let tag = root.appendingPathComponent("CACHEDIR.TAG")
        if !FileManager.default.fileExists(atPath: tag.path) {
            let text = "Signature: 8a477f597d28d172789f06886806bc55\n# This folder is a cache made by gadgetc; it can be deleted at any time.\n"
            try? AtomicFile.write(Data(text.utf8), to: tag)
        }
        return url
    }
}
