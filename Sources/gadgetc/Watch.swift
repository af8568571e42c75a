import ArgumentParser
import Foundation
import GadgetBuild

struct Watch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "Rebuild gadgets whenever a file they read changes.",
        discussion: """
        Builds each gadget once, then watches (inotify) every file the build read — sources, local and \
        system headers, build.yaml, gadget.yaml — and the gadget folders, and rebuilds the gadgets a \
        change touches. Build errors are printed and watching goes on. Stop with Ctrl-C.

        When libclang loads (as for 'gadgetc check'; GADGETC_LIBCLANG picks it), each rebuild starts \
        with clang's front end in-process on the changed gadgets: its diagnostics appear within \
        milliseconds (the parsed headers are kept between rounds), then the build's result; a \
        compile's message already shown is not repeated.
        """
    )

    @Argument(help: ArgumentHelp("Gadget folders, or folders of gadget folders.", valueName: "dir"))
    var folders: [String] = ["."]

    @OptionGroup var options: BuildOptions

    func validate() throws { try options.check(folders: GadgetFolder.expand(folders)) }

    func run() async throws {
        options.toolchainOptions.warnAboutIncludeDirectories()
        let shown = ShownDiagnostics()
        let batch = GadgetBatch(folders: GadgetFolder.expand(folders).map { URL(fileURLWithPath: $0).standardizedFileURL.path },
                                options: options, quiet: true, showsStatus: true, shownDiagnostics: shown)
        let checker = FrontEndCheck(batch: batch, shown: shown)
        let watcher = try FileWatcher()
        // Ctrl-C while waiting stops at once; during a build it cancels the build first, so that a
        // builder container is removed, then stops.
        let state = WatchState()
        var sources: [DispatchSourceSignal] = []
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { state.stop() }
            source.resume()
            sources.append(source)
        }

        var inputs: [String: Set<String>] = [:]  // gadget folder -> files its last build read
        var pending = batch.folders
        var firstRound = true
        while true {
            // The first round's compiles say it all; later rounds hear libclang first (warm: milliseconds).
            let started = Self.fileClockNow()
            if !firstRound { await checker.check(pending) }
            let build = Task { [pending] in await batch.build(pending) }
            state.building(build)
            let results = await build.value
            state.idle()
            batch.report(results, timed: true)
            for folder in pending { _ = batch.compilerMessages.take(folder) }  // --json only; shown already
            for (folder, result) in results {
                if case .success(let outcome) = result { inputs[folder] = Set(outcome.inputs) }
            }
            var folders = Set(batch.folders)
            for files in inputs.values { folders.formUnion(files.map { URL(fileURLWithPath: $0).deletingLastPathComponent().path }) }
            watcher.watch(folders)
            Terminal.writeError("watching \(batch.folders.count) gadget\(batch.folders.count == 1 ? "" : "s") (\(folders.count) folders); Ctrl-C stops\n")
            if firstRound {
                checker.warmUp(batch.folders)
                // Saved during the first build, before anything was watched: inotify never saw it. (Later
                // builds run with the watches in place; their events wait in the queue.)
                pending = pending.filter { folder in (inputs[folder] ?? []).contains { Self.modified($0, after: started) } }
            } else {
                pending = []
            }
            firstRound = false
            while pending.isEmpty {
                let changed = await withCheckedContinuation { continuation in
                    Thread.detachNewThread { continuation.resume(returning: watcher.nextChanges()) }
                }
                pending = batch.folders.filter { folder in
                    changed.contains { path in
                        (inputs[folder]?.contains(path) ?? false) || Self.isGadgetFile(path, in: folder)
                    }
                }
            }
        }
    }

    /// Now, on the clock the kernel stamps file times with (the coarse one), in nanoseconds.
    static func fileClockNow() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME_COARSE, &now)
        return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
    }

    /// Whether `path` was written after `instant` (strictly: the edit that started this round may share
    /// its clock tick; one made within that tick is missed, not every one made during the build).
    static func modified(_ path: String, after instant: Int64) -> Bool {
        var info = stat()
        guard stat(path, &info) == 0 else { return false }
        return Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec) > instant
    }

    /// Whether a build runs (and which), so that a signal knows whether to cancel it or stop at once.
    final class WatchState: @unchecked Sendable {
        private let lock = NSLock()
        private var current: Task<[(folder: String, result: Result<BuildOutcome, Error>)], Never>?
        private var stopping = false

        func building(_ task: Task<[(folder: String, result: Result<BuildOutcome, Error>)], Never>) {
            let stop = lock.withLock { current = task; return stopping }
            if stop { task.cancel() }
        }

        func idle() {
            let stop = lock.withLock { current = nil; return stopping }
            if stop { Self.finish() }
        }

        func stop() {
            let running = lock.withLock { stopping = true; return current }
            if let running { running.cancel() } else { Self.finish() }
        }

        static func finish() -> Never {
            Terminal.writeError("\nstopped watching\n")
            Foundation.exit(0)
        }
    }

    /// libclang's diagnostics before each rebuild, from translation units kept across rounds.
    struct FrontEndCheck: Sendable {
        let batch: GadgetBatch
        let shown: ShownDiagnostics
        let frontEnds = LibclangFrontEnds(keepsPreambles: true)
        /// Set once libclang failed to load: said once, then watch goes on without it.
        let unavailable = Flag()

        final class Flag: @unchecked Sendable {
            private let lock = NSLock()
            private var value = false
            /// True the first time only.
            func set() -> Bool { lock.withLock { defer { value = true }; return !value } }
            var isSet: Bool { lock.withLock { value } }
        }

        /// Parses every gadget once in the background after the first build, so that the first edit's
        /// check is a warm re-parse.
        func warmUp(_ folders: [String]) {
            Task.detached { for folder in folders { _ = await results(folder) } }
        }

        /// Prints libclang's diagnostics of `folders` (nothing when they are clean) and notes them as shown.
        func check(_ folders: [String]) async {
            for folder in folders {
                shown.forget(folder)
                let start = ContinuousClock.now
                guard let results = await results(folder), results.contains(where: { !$0.diagnostics.isEmpty }) else { continue }
                let prefix = batch.many ? "\(batch.name(folder)): " : ""
                let (errors, warnings) = DiagnosticText.write(results)
                shown.add(results.flatMap(\.diagnostics), folder: folder)
                let time = String(format: "%.0f", (ContinuousClock.now - start).milliseconds)
                Terminal.writeError("\(prefix)libclang: \(errors) error\(errors == 1 ? "" : "s"), \(warnings) warning\(warnings == 1 ? "" : "s") in \(time) ms; building\n")
            }
            fflush(nil)
        }

        /// nil when the gadget cannot be planned or parsed (the build says why) or libclang is missing.
        private func results(_ folder: String) async -> [SourceCheck.Result]? {
            guard !unavailable.isSet,
                  let (plan, _) = try? await BuildDriver(observer: SilentObserver()).sourcePlan(batch.options.request(for: folder, count: batch.folders.count)) else { return nil }
            let frontEnd: LibclangFrontEnd
            do { frontEnd = try frontEnds.frontEnd(for: plan) } catch {
                if unavailable.set() { Terminal.writeError("note: \(Terminal.line(error)); watch shows diagnostics when the compile ends\n") }
                return nil
            }
            return try? SourceCheck(frontEnd: frontEnd).run(plan).results
        }
    }

    /// A change inside the gadget folder that a build could read (not an editor's swap or backup file).
    static func isGadgetFile(_ path: String, in folder: String) -> Bool {
        if path == folder { return true }  // the folder itself was removed, moved or made again
        guard path.hasPrefix(folder + "/") else { return false }
        let name = URL(fileURLWithPath: path).lastPathComponent
        return !name.hasPrefix(".") && !name.hasSuffix("~") && !name.hasSuffix(".swp") && !name.hasPrefix("#")
    }
}

/// Diagnostics watch printed from libclang, per gadget folder: a compile's text that adds nothing to
/// them is not printed again (its other messages, e.g. the BPF back end's, still are).
final class ShownDiagnostics: @unchecked Sendable {
    private let lock = NSLock()
    private var shown: [String: Set<String>] = [:]

    static func key(_ diagnostic: CompilerDiagnostic) -> String {
        let file = diagnostic.file.map { URL(fileURLWithPath: $0).lastPathComponent } ?? ""
        return "\(file):\(diagnostic.line ?? 0):\(diagnostic.column ?? 0): \(diagnostic.severity.rawValue): \(diagnostic.message)"
    }

    func add(_ diagnostics: [CompilerDiagnostic], folder: String) {
        lock.withLock { shown[folder, default: []].formUnion(diagnostics.map(Self.key)) }
    }

    func forget(_ folder: String) { lock.withLock { shown[folder] = nil } }

    /// Whether every error and warning in a compile's `text` was shown already.
    func covers(_ text: String, folder: String) -> Bool {
        let said = CompilerDiagnostic.parse(text).filter { $0.severity != .note && $0.severity != .remark }
        guard !said.isEmpty else { return false }
        let known = lock.withLock { shown[folder] ?? [] }
        return said.allSatisfy { known.contains(Self.key($0)) }
    }
}
