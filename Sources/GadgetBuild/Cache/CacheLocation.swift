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

    /// Creates `name` under the root (0755 whatever the umask; objects/ and records/ with their 256
    /// fan-out folders, so that none is made later at the umask's mode), marking the root with a
    /// CACHEDIR.TAG so backup tools skip it.
    public func makeFolder(_ name: String) throws -> URL {
        let url = folder(name)
        var info = stat()
        if stat(url.path, &info) != 0 || (info.st_mode & S_IFMT) != S_IFDIR {
            try Self.createFolders(url)
            if ["objects", "records"].contains(name) {
                for byte in 0...255 { try Self.createFolders(url.appendingPathComponent(String(format: "%02x", byte))) }
            }
        }
        let tag = root.appendingPathComponent("CACHEDIR.TAG")
        if !FileManager.default.fileExists(atPath: tag.path) {
            let text = "Signature: 8a477f597d28d172789f06886806bc55\n# This folder is a cache made by gadgetc; it can be deleted at any time.\n"
            try? AtomicFile.write(Data(text.utf8), to: tag)
        }
        return url
    }

    /// Creates `url` and its missing parents with mode 0755, whatever the umask.
    public static func createFolders(_ url: URL) throws {
        let path = url.standardizedFileURL.path
        var info = stat()
        if stat(path, &info) == 0 {
            guard (info.st_mode & S_IFMT) == S_IFDIR else { throw FileWriteError(path: path, operation: "create the folder", code: ENOTDIR) }
            return
        }
        let parent = (path as NSString).deletingLastPathComponent
        if parent != path, !parent.isEmpty { try createFolders(URL(fileURLWithPath: parent)) }
        if mkdir(path, 0o755) == 0 {
            chmod(path, 0o755)
        } else if errno != EEXIST {
            throw FileWriteError(path: path, operation: "create the folder", code: errno)
        }
    }
}
