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
    /// fan-out folders, so that none is made later at the umask's mode). The root gets gadgetc's
    /// CACHEDIR.TAG, so that backup tools skip it, when it is new, empty or holds only gadgetc's
    /// files: a folder of the user's that GADGETC_CACHE_DIR points at is never marked as disposable.
    public func makeFolder(_ name: String) throws -> URL {
        let url = folder(name)
        var info = stat()
        if stat(url.path, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR {
            if access(tag.path, F_OK) != 0, holdsOnlyGadgetcFiles { writeTag() }
            return url
        }
        if holdsOnlyGadgetcFiles {
            try Self.createFolders(root)
            if access(tag.path, F_OK) != 0 { writeTag() }  // first, so that a prune meanwhile finds the root marked
        }
        try Self.createFolders(url)
        if CacheLayout.fannedOut.contains(name) {
            for byte in 0...255 { try Self.createFolders(url.appendingPathComponent(String(format: "%02x", byte))) }
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

    // MARK: The CACHEDIR.TAG that marks a folder as gadgetc's cache

    var tag: URL { root.appendingPathComponent("CACHEDIR.TAG") }
    static let tagSignature = "Signature: 8a477f597d28d172789f06886806bc55"
    static let tagText = tagSignature + "\n# This folder is a cache made by gadgetc; it can be deleted at any time.\n"

    /// Whether the root carries the CACHEDIR.TAG gadgetc writes (a regular file, not a link): only
    /// then does maintenance remove anything from it.
    public var isMarkedAsGadgetcCache: Bool {
        var info = stat()
        guard lstat(tag.path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG, info.st_size <= 4096,
              let data = FileManager.default.contents(atPath: tag.path), let text = String(data: data, encoding: .utf8) else { return false }
        return text.hasPrefix(Self.tagSignature) && text.contains("made by gadgetc")
    }

    /// True when the root is missing, empty or holds nothing but what gadgetc puts there.
    var holdsOnlyGadgetcFiles: Bool {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: root.path) else {
            return access(root.path, F_OK) != 0
        }
        return names.allSatisfy(CacheLayout.isRootName)
    }

    func writeTag() {
        try? AtomicFile.write(Data(Self.tagText.utf8), to: tag)
    }
}
