import Foundation

/// Work folders of builds that were killed. A build compiles into `$TMPDIR/gadgetc-build-<pid>-<random>`
/// and removes it as it ends, which a SIGKILL prevents; the next build that makes a work folder
/// removes, in the background, those whose process is gone.
public enum AbandonedWorkFolders {
    static let prefix = "gadgetc-build-"

    /// A new work folder's name for this process.
    public static func newName() -> String { "\(prefix)\(getpid())-\(UInt32.random(in: 0...UInt32.max))" }

    /// The process that made a work folder, from its name; nil for any other name.
    static func writer(of name: String) -> pid_t? {
        guard name.hasPrefix(prefix) else { return nil }
        let fields = name.dropFirst(prefix.count).split(separator: "-", omittingEmptySubsequences: false)
        guard fields.count == 2, fields.allSatisfy({ !$0.isEmpty && $0.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 } }),
              let pid = pid_t(fields[0]), pid > 0, UInt32(fields[1]) != nil else { return nil }
        return pid
    }

    /// Removes from `folder` (one listing) the work folders of processes that no longer run: gadgetc's
    /// by name, real folders (not links), owned by this user. Returns the paths removed.
    @discardableResult
    public static func remove(in folder: URL) -> [String] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder.path) else { return [] }
        var removed: [String] = []
        for name in names {
            guard let pid = writer(of: name), pid != getpid(), !ProcessLiveness.isAlive(pid) else { continue }
            let path = folder.appendingPathComponent(name).path
            var info = stat()
            guard lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR, info.st_uid == geteuid() else { continue }
            if (try? FileManager.default.removeItem(atPath: path)) != nil { removed.append(path) }
        }
        return removed
    }

    /// `remove(in:)` for the temporary folder, once per process, off the build's path.
    public static func removeInBackground() { _ = started }

    private static let started: Void = {
        let folder = URL(fileURLWithPath: NSTemporaryDirectory())
        Task.detached(priority: .background) { remove(in: folder) }
    }()
}
