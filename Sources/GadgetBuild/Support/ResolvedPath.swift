import Foundation

/// A path with every symlink along it followed, also when the last target is missing (where
/// `realpath(3)` fails and `resolvingSymlinksInPath` gives up and keeps the link's own path).
public struct ResolvedPath: Equatable, Sendable {
    /// Absolute, without `.`, `..` or symlinks in the part that exists; the missing rest is appended as written.
    public var path: String
    /// Whether the whole path exists (every link's target included).
    public var exists: Bool
    /// Whether a symlink was followed on the way.
    public var followedLink: Bool

    /// More links than this on one path is a loop (Linux's own limit is 40).
    static let maximumLinks = 40

    /// Resolves `path` (made absolute against the working directory) with lstat and readlink only:
    /// nothing is opened, so a FIFO or device on the way is never read.
    public init(_ path: String) {
        let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        var pending = Array(absolute.split(separator: "/", omittingEmptySubsequences: true).map(String.init).reversed())
        var current: [String] = []
        var links = 0
        var exists = true
        var followed = false
        while let component = pending.popLast() {
            if component == "." { continue }
            if component == ".." {
                if !current.isEmpty { current.removeLast() }
                continue
            }
            guard exists else {
                current.append(component)  // below a missing component nothing is resolved: keep it as written
                continue
            }
            let candidate = "/" + (current + [component]).joined(separator: "/")
            var info = stat()
            guard lstat(candidate, &info) == 0 else {
                exists = false
                current.append(component)
                continue
            }
            guard info.st_mode & S_IFMT == S_IFLNK else {
                current.append(component)
                continue
            }
            links += 1
            followed = true
            guard links <= Self.maximumLinks, let target = Self.readLink(candidate) else {
                exists = false  // a loop or an unreadable link: nothing behind it can be opened
                current.append(component)
                continue
            }
            if target.hasPrefix("/") { current = [] }
            pending += target.split(separator: "/", omittingEmptySubsequences: true).map(String.init).reversed()
        }
        self.path = "/" + current.joined(separator: "/")
        self.exists = exists
        self.followedLink = followed
    }

    /// Whether this path is `folder` itself or below it (both resolved).
    public func isInside(_ folder: ResolvedPath) -> Bool {
        folder.path == "/" || path == folder.path || path.hasPrefix(folder.path + "/")
    }

    /// The target a symlink names, as written in the link.
    public static func readLink(_ path: String) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink(path, &buffer, buffer.count - 1)
        guard count >= 0 else { return nil }
        return String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
