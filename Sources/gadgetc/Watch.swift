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
        """
    )

    @Argument(help: ArgumentHelp("Gadget folders, or folders of gadget folders.", valueName: "dir"))
    var folders: [String] = ["."]

    @OptionGroup var options: BuildOptions

    func validate() throws { try options.check(folders: GadgetFolder.expand(folders)) }

    func run() async throws {
        options.toolchainOptions.warnAboutIncludeDirectories()
        let batch = GadgetBatch(folders: GadgetFolder.expand(folders).map { URL(fileURLWithPath: $0).standardizedFileURL.path },
                                options: options, quiet: true)
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
        while true {
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

            repeat {
                let changed = await withCheckedContinuation { continuation in
                    Thread.detachNewThread { continuation.resume(returning: watcher.nextChanges()) }
                }
                pending = batch.folders.filter { folder in
                    changed.contains { path in
                        (inputs[folder]?.contains(path) ?? false) || Self.isGadgetFile(path, in: folder)
                    }
                }
            } while pending.isEmpty
        }
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

    /// A change inside the gadget folder that a build could read (not an editor's swap or backup file).
    static func isGadgetFile(_ path: String, in folder: String) -> Bool {
        if path == folder { return true }  // the folder itself was removed, moved or made again
        guard path.hasPrefix(folder + "/") else { return false }
        let name = URL(fileURLWithPath: path).lastPathComponent
        return !name.hasPrefix(".") && !name.hasSuffix("~") && !name.hasSuffix(".swp") && !name.hasPrefix("#")
    }
}
