import ArgumentParser
import Foundation
import GadgetBuild


/// The options `build` and `watch` share, named as in `ig image build` where ig has them.
struct BuildOptions: ParsableArguments {
    @Option(name: .shortAndLong, help: ArgumentHelp("Path to build.yaml (default: DIR/build.yaml).", valueName: "file"))
    var file: String?

    @Option(name: .shortAndLong, help: ArgumentHelp("Name for the built image (name:tag); default: the folder's name, tag latest.", valueName: "name:tag"))
    var tag: String?

    @Option(help: ArgumentHelp("Architectures to build, comma separated.", valueName: "list"))
    var arch: String = "amd64,arm64"

    @Flag(help: "Load each object of the host's architecture into the kernel verifier (needs root or CAP_BPF).")
    var verify = false

    @Flag(help: "Update the metadata according to the eBPF code")
    var updateMetadata = false

    @Flag(inversion: .prefixedNo, help: "Check gadget.yaml against the eBPF object (params, tracers, map iterators).")
    var validateMetadata = true

    @Option(help: ArgumentHelp("The ig release written as the image's io.inspektor-gadget.builder.version annotation (ig run warns when it is missing or differs from its own version); empty writes none.", valueName: "version"))
    var builderVersion: String = BuildRequest.defaultBuilderVersion

    @Flag(help: "Add to each arch's manifest a layer of minimal BTF files, one per kernel of --btfhub-archive (bpftool gen min_core_btf), for kernels without /sys/kernel/btf/vmlinux.")
    var btfgen = false

    @Option(help: ArgumentHelp("The BTFHub archive --btfgen reads: <distro>/<version>/<x86_64|arm64>/<kernel>.btf.tar.xz (or .btf).", valueName: "dir"))
    var btfhubArchive: String?

    @OptionGroup(title: "Toolchain") var toolchainChoice: ToolchainChoiceOptions

    @OptionGroup(title: "Container") var containerOptions: ContainerOptions

    @OptionGroup(title: "Output") var destination: DestinationOptions

    @OptionGroup(title: "Cache") var cacheOptions: CacheOptions

    var toolchainOptions: ToolchainOptions { toolchainChoice.includes }
    var toolchain: ToolchainChoice { toolchainChoice.toolchain }
    var local: Bool { toolchainChoice.local }
    var jobs: Int { toolchainChoice.jobs }
    var output: String? { destination.output }
    var ociLayout: String? { destination.ociLayout }
    var store: String? { destination.store }

    func validate() throws {
        if local && toolchain == .container {
            throw ValidationError("--local and --toolchain container contradict each other; pick one")
        }
        if ociLayout != nil && store != nil {
            throw ValidationError("--oci-layout and --store both name where the image goes; pick one")
        }
        if jobs < 1 { throw ValidationError("-j must be at least 1") }
        if btfgen && (btfhubArchive ?? "").isEmpty {
            throw ValidationError("--btfgen needs --btfhub-archive DIR: the BTFHub archive whose kernels get a minimal BTF")
        }
        if !btfgen && btfhubArchive != nil {
            throw ValidationError("--btfhub-archive is only read with --btfgen; add --btfgen, or leave --btfhub-archive out")
        }
        do { _ = try Architecture.parseList(arch) } catch { throw ValidationError("\(error)") }
    }


    func check(folders: [String]) throws {
        if folders.count > 1 && tag != nil {
            throw ValidationError("-t names one image; build one gadget at a time to tag it, or leave -t out to name each after its folder")
        }
    }

    /// The request for one of `count` gadgets; with several, -o gets a subfolder per gadget.
    func request(for folder: String, count: Int) -> BuildRequest {
        var request = BuildRequest(
            gadgetFolder: folder, buildFile: file, architectures: (try? Architecture.parseList(arch)) ?? Architecture.allCases,
            toolchain: local ? .native : toolchain, includeDirectories: toolchainOptions.usableIncludeDirectories,
            tag: tag, outputDirectory: output.map { count > 1 ? "\($0)/\(URL(fileURLWithPath: folder).lastPathComponent)" : $0 },
            ociLayout: ociLayout ?? store, verify: verify, validateMetadata: validateMetadata, useCache: !cacheOptions.noCache,
            container: containerOptions.settings, updateMetadata: updateMetadata)
        request.builderVersion = builderVersion.isEmpty ? nil : builderVersion
        request.btfHubArchive = btfgen ? btfhubArchive : nil
        return request
    }
}

/// Builds several gadgets concurrently, sharing one -j budget, and reports each result.
struct GadgetBatch {
    let folders: [String]
    let options: BuildOptions
    let quiet: Bool
    let slots: JobSlots
    /// Started once every gadget of a round has built, so that they do not slow the round down.
    let precompiledHeaders = PrecompiledHeaderBuilds(startsAfterEachBuild: false)
    /// The team's cache, one client for every gadget of the run.
    let remoteCache: RemoteCache?
    /// What the compilers said, per gadget folder (`--json` lists a failed build's messages).
    let compilerMessages = CompilerMessages.Store()
    /// The live status line even when quiet (watch).
    let showsStatus: Bool
    /// Diagnostics already printed before the build (watch's libclang check); a compile's text that
    /// says nothing more is not printed again.
    let shownDiagnostics: ShownDiagnostics?

    init(folders: [String], options: BuildOptions, quiet: Bool, showsStatus: Bool = false, shownDiagnostics: ShownDiagnostics? = nil) {
        self.folders = folders
        self.options = options
        self.quiet = quiet
        self.showsStatus = showsStatus
        self.shownDiagnostics = shownDiagnostics
        self.slots = JobSlots(options.jobs)
        let remote = (try? options.cacheOptions.remoteCacheSettings()).flatMap { $0 }.map { RemoteCache(settings: $0) }
        remote?.onWarning = { Terminal.writeError($0 + "\n") }
        self.remoteCache = remote
    }

    var many: Bool { folders.count > 1 }

    /// The folder's name for message prefixes, control characters escaped.
    func name(_ folder: String) -> String { Terminal.escape(URL(fileURLWithPath: folder).standardizedFileURL.lastPathComponent) }

    /// A driver for one gadget; drivers of one run share the job slots, the probe's answer and PCH builds.
    func driver(_ folder: String?, probes: ProbeMemo? = nil) -> BuildDriver {
        let prefix = many ? folder.map { "\(name($0)): " } ?? "" : ""
        var terminal = TerminalObserver(quiet: quiet, prefix: prefix, showsStatus: showsStatus)
        if let shownDiagnostics, let folder { terminal.alreadyShown = { shownDiagnostics.covers($0, folder: folder) } }
        let observer: BuildObserver = folder.map { CompilerMessages(folder: $0, store: compilerMessages, next: terminal) } ?? terminal
        return BuildDriver(observer: observer, slots: slots, probes: probes,
                           precompiledHeaders: precompiledHeaders, remoteCache: remoteCache)
    }

    /// Builds `subset` (all by default); every gadget builds even when another fails.
    func build(_ subset: [String]? = nil) async -> [(folder: String, result: Result<BuildOutcome, Error>)] {
        let chosen = subset ?? folders
        // One probe per run: the host does not change between this run's gadgets (watch probes again next round).
        let probes = ProbeMemo()
        // Several gadgets: shared PCHs first for the gadgets that use them; the others build meanwhile.
        // With a team cache, only compiles it lacks count as users (building a PCH for compiles it holds
        // delayed every hit: a fresh machine took 0.85 s for all samples, 0.15 s of it its own builds).
        let shared = chosen.count > 1 ? await driver(nil).planSharedPrecompiledHeaders(chosen.map { options.request(for: $0, count: folders.count) }) : nil
        let sharedBuild = shared.map { shared in Task { await driver(nil).buildSharedPrecompiledHeaders(shared) } }
        let results = await withTaskGroup(of: (Int, Result<BuildOutcome, Error>).self) { group in
            for (index, folder) in chosen.enumerated() {
                group.addTask {
                    if let shared {
                        if shared.users.contains(options.request(for: folder, count: folders.count).gadgetFolder) {
                            await sharedBuild?.value
                        } else {
                            _ = await shared.identification?.value
                        }
                    }
                    do { return (index, .success(try await driver(folder, probes: probes).build(options.request(for: folder, count: folders.count)))) } catch { return (index, .failure(error)) }
                }
            }
            var results = [Result<BuildOutcome, Error>?](repeating: nil, count: chosen.count)
            for await (index, result) in group { results[index] = result }
            return results.compactMap { $0 }
        }
        await precompiledHeaders.startWanted()
        if let remoteCache {
            RemoteCacheStatistics.accumulate(remoteCache.unreportedStatistics(), in: CacheLocation(environment: ProcessInfo.processInfo.environment))
        }
        return Array(zip(chosen, results)).map { (folder: $0.0, result: $0.1) }
    }

    /// One line per gadget: ig's success line, or "error: …".
    func report(_ results: [(folder: String, result: Result<BuildOutcome, Error>)], timed: Bool = false) {
        for (folder, result) in results {
            switch result {
            case .success(let outcome):
                print(outcome.successLine + (timed ? " (\(String(format: "%.0f", outcome.elapsedMilliseconds)) ms)" : ""))
            case .failure(let error):
                Terminal.error(error, prefix: many ? "\(name(folder)): " : "")
            }
        }
        fflush(nil)  // watch prints results as they come, also into a pipe
    }
}

/// The local cache and the team's (`build`, `watch`).
struct CacheOptions: ParsableArguments {
    @Flag(help: "Neither read nor write the build cache.")
    var noCache = false
    @Option(help: ArgumentHelp("The team's build cache, an OCI registry repository (HOST[:PORT]/REPOSITORY; env GADGETC_REMOTE_CACHE): asked after a local miss, read-only unless --remote-cache-upload.", valueName: "ref"))
    var remoteCache: String?

    @Flag(help: "Upload this build's compiles to --remote-cache (what CI sets; env GADGETC_REMOTE_CACHE_UPLOAD=1).")
    var remoteCacheUpload = false

    @Option(help: ArgumentHelp("Bound of each remote cache request, in seconds; past it the build goes on with the local cache alone (default 3).", valueName: "seconds"))
    var remoteCacheTimeout: Double?

    @Option(help: ArgumentHelp("A repository of the same registry whose blobs uploads mount instead of sending them again (e.g. last release's cache); repeatable (env GADGETC_REMOTE_CACHE_MOUNT_FROM, comma separated).", valueName: "repo"))
    var remoteCacheMountFrom: [String] = []

    func validate() throws {
        do { _ = try remoteCacheSettings() } catch { throw ValidationError("\(error)") }
        if let timeout = remoteCacheTimeout, !(timeout > 0 && timeout <= 600) {
            throw ValidationError("--remote-cache-timeout takes seconds between 0 and 600")
        }
    }

    /// `--remote-cache` or `GADGETC_REMOTE_CACHE`; nil when neither is set (or with --no-cache).
    func remoteCacheSettings(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> RemoteCacheSettings? {
        guard !noCache, let reference = remoteCache ?? environment["GADGETC_REMOTE_CACHE"].flatMap({ $0.isEmpty ? nil : $0 }) else { return nil }
        let upload = remoteCacheUpload || ["1", "true", "yes"].contains(environment["GADGETC_REMOTE_CACHE_UPLOAD"]?.lowercased() ?? "")
        var settings = try RemoteCacheSettings(parsing: reference, upload: upload, timeoutSeconds: remoteCacheTimeout ?? RemoteCacheSettings.defaultTimeoutSeconds)
        try settings.mount(from: remoteCacheMountFrom, environment: environment)
        return settings
    }

}

/// Keeps the compilers' messages of one gadget's build (passing them on), for `--json`: a failed
/// build's document lists them as diagnostics.
struct CompilerMessages: BuildObserver {
    final class Store: @unchecked Sendable {
        private let lock = NSLock()
        private var texts: [String: [String]] = [:]
        func append(_ text: String, for folder: String) { lock.withLock { texts[folder, default: []].append(text) } }
        /// The messages of `folder`'s builds so far, and forgets them (watch builds again).
        func take(_ folder: String) -> [CompilerDiagnostic] {
            lock.withLock { texts.removeValue(forKey: folder) ?? [] }.flatMap(CompilerDiagnostic.parse)
        }
    }

    let folder: String
    let store: Store
    let next: BuildObserver

    func jobStarted(_ job: Job) { next.jobStarted(job) }
    func jobFinished(_ job: Job, milliseconds: Double) { next.jobFinished(job, milliseconds: milliseconds) }
    func jobCached(_ job: Job) { next.jobCached(job) }
    func diagnostics(_ job: Job, text: String) {
        store.append(text, for: folder)
        next.diagnostics(job, text: text)
    }
    func note(_ text: String) { next.note(text) }
    func pullProgress(_ progress: PullProgress) { next.pullProgress(progress) }
}
