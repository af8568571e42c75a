import Foundation

/// Starts a command that outlives gadgetc: in its own session, with no terminal and no pipes, so that
/// neither gadgetc's exit nor Ctrl-C stops it. A thread reaps it if gadgetc is still running then.
enum BackgroundProcess {
    /// glibc's POSIX_SPAWN_SETSID, which Swift does not import.
    static let spawnSetSID: Int16 = 0x80

    @discardableResult
    static func start(_ argv: [String], environment additions: [String: String] = [:]) -> pid_t? {
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
        var variables = ProcessInfo.processInfo.environment
        variables.merge(additions) { $1 }
        var cEnvironment: [UnsafeMutablePointer<CChar>?] = variables.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { cEnvironment.forEach { free($0) } }
        var pid: pid_t = 0
        guard posix_spawn(&pid, argv[0], &actions, &attributes, &cArguments, &cEnvironment) == 0 else { return nil }
        let child = pid
        Thread.detachNewThread {
            var status: Int32 = 0
            waitpid(child, &status, 0)
        }
        return child
    }
}

/// Builds the precompiled headers a run's builds asked for, in the background, once the builds are
/// over: started any earlier, they take the cores from the builds' own last steps (measured: a cold
/// build's link and packaging took 75 ms instead of 15 next to two PCH compiles). Each is built once per
/// machine at a time: an exclusive lock file next to the PCH stops two gadgetc processes from building
/// the same one.
public actor PrecompiledHeaderBuilds {
    private var wanted: [PrecompiledHeader] = []
    private var started = Set<String>()
    static let staleLockAge: TimeInterval = 120
    /// True: every build starts what it asked for as it ends. False: the owner calls `startWanted()`
    /// once all of its builds are over (a run of several gadgets).
    public nonisolated let startsAfterEachBuild: Bool

    public init(startsAfterEachBuild: Bool = true) {
        self.startsAfterEachBuild = startsAfterEachBuild
    }

    /// Remembers a PCH to build when the builds are over.
    public func want(_ pch: PrecompiledHeader) {
        if !wanted.contains(where: { $0.key == pch.key }) { wanted.append(pch) }
    }

    /// Starts every wanted PCH that is still missing; returns how many were started.
    @discardableResult
    public func startWanted() -> Int {
        let pending = wanted
        wanted = []
        return pending.filter(startIfNeeded).count
    }

    private func startIfNeeded(_ pch: PrecompiledHeader) -> Bool {
        // Built by gadgetc itself, so that it is sealed before it is used; without gadgetc at hand, not at all.
        guard let gadgetc = GadgetcExecutable.located, started.insert(pch.key).inserted, !FileSeal.isSealed(pch.output) else { return false }
        let folder = URL(fileURLWithPath: pch.output).deletingLastPathComponent()
        try? CacheLocation.createFolders(folder)
        let lock = pch.output + ".lock"
        if let attributes = try? FileManager.default.attributesOfItem(atPath: lock),
           let modified = attributes[.modificationDate] as? Date, Date().timeIntervalSince(modified) > Self.staleLockAge {
            unlink(lock)  // left by a build that died
        }
        let descriptor = open(lock, O_CREAT | O_EXCL | O_WRONLY, 0o644)
        guard descriptor >= 0 else { return false }  // another process is building it
        close(descriptor)
        // An unsealed one (damaged, or left by a killed build) is made again.
        FileSeal.discard(pch.output)
        return BackgroundProcess.start([gadgetc, "precompile-header", "--output", pch.output, "--"] + pch.argvWithoutOutput,
                                       environment: pch.environment ?? [:]) != nil
    }
}
