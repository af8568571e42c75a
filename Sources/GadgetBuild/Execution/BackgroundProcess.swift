import Foundation

/// Starts a command that outlives gadgetc: in its own session, with no terminal and no pipes, so that
/// neither gadgetc's exit nor Ctrl-C stops it. A thread reaps it if gadgetc is still running then.
enum BackgroundProcess {
    /// glibc's POSIX_SPAWN_SETSID, which Swift does not import.
    static let spawnSetSID: Int16 = 0x80

    @discardableResult
    static func start(_ argv: [String]) -> pid_t? {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(&attributes, spawnSetSID)
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for descriptor: Int32 in [0, 1, 2] {
            posix_spawn_file_actions_addopen(&actions, descriptor, "/dev/null", descriptor == 0 ? O_RDONLY : O_WRONLY, 0)
        }
        var cArguments: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        defer { cArguments.forEach { free($0) } }
        var pid: pid_t = 0
        guard posix_spawn(&pid, argv[0], &actions, &attributes, &cArguments, environ) == 0 else { return nil }
        let child = pid
        Thread.detachNewThread {
            var status: Int32 = 0
            waitpid(child, &status, 0)
        }
        return child
    }
}

/// Starts each missing precompiled header's build once per machine at a time: an exclusive lock file
/// next to the PCH stops two gadgetc processes from building the same one.
public actor PrecompiledHeaderBuilds {
    private var started = Set<String>()
    static let staleLockAge: TimeInterval = 120

    public init() {}

    public func startIfNeeded(_ pch: PrecompiledHeader) {
        guard started.insert(pch.key).inserted, !FileManager.default.fileExists(atPath: pch.output) else { return }
        let folder = URL(fileURLWithPath: pch.output).deletingLastPathComponent()
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let lock = pch.output + ".lock"
        if let attributes = try? FileManager.default.attributesOfItem(atPath: lock),
           let modified = attributes[.modificationDate] as? Date, Date().timeIntervalSince(modified) > Self.staleLockAge {
            unlink(lock)  // left by a build that died
        }
        let descriptor = open(lock, O_CREAT | O_EXCL | O_WRONLY, 0o644)
        guard descriptor >= 0 else { return }  // another process is building it
        close(descriptor)
        // clang writes its output through a temporary file and renames it, so a reader never sees half a PCH.
        BackgroundProcess.start(pch.argv)
    }
}
