import Foundation

/// What running a plan produced for one arch.
public struct ArchitectureOutput: Codable, Sendable {
    public var arch: Architecture
    public var object: String
    public var summary: BPFObjectSummary
    /// Filled when the plan asked for --verify and the arch is the host's.
    public var verification: VerifierReport?
    /// Every file the compiles read (from clang's depfiles; just the sources without the cache), and with
    /// `--btfgen` the archive's files and folders.
    public var inputs: [String] = []
    /// `--btfgen`: the arch's layer.
    public var btfgen: BTFGenSummary?
}

/// What running a plan produced: each arch's object, and the wasm module when the gadget builds one.
public struct ExecutionResult: Sendable {
    public var architectures: [ArchitectureOutput]
    public var wasm: WasmOutput?
    /// Each distinct text the compilers printed on success (warnings), as shown.
    public var compilerWarnings: [String] = []
}

/// Runs a plan: clang per compile job (in parallel, bounded) on the host or in the builder container,
/// then libbpf in-process on the host to link, check and optionally verify each arch.
public struct BuildExecutor: Sendable {
    let runner: CommandRunning
    /// Runs container jobs: the started builder container, set by `ContainerBuild`.
    var container: BuilderContainerToolchain?
    let observer: BuildObserver
    let slots: JobSlots
    let cache: BuildCache?
    /// Starts missing precompiled headers for later builds; nil never does.
    let precompiledHeaders: PrecompiledHeaderBuilds?
    /// The time of every entry in a btfgen layer (seconds since 1970): SOURCE_DATE_EPOCH, else 0.
    var layerTime: Int64 = 0
    /// The environment that names bpftool (GADGETC_BPFTOOL, PATH).
    var environment: [String: String] = [:]
    /// clang's resource folder per compiler path, asked (once per build) only when a compile seems to read outside its folders.
    let resourceDirectories = ClangResourceDirectories()
    /// The team's cache (`--remote-cache`): asked after a local miss, filled after a compile when uploads are on.
    var remote: RemoteCache?
    /// The other machines' folders that objects taken from the team's cache record (`RemoteOrigins`).
    let remoteOrigins = RemoteOrigins()
    /// bpftool as each toolchain of this build identified it: asked once, not once per arch.
    let bpftools = BPFToolIdentities()
    /// Runs once the compiles are over, before their messages are shown: a compiler taken by its name
    /// is confirmed there, so that a wrong one's errors are not shown before the build plans again.
    var beforeReportingCompiles: (@Sendable () async throws -> Void)?
    /// The identification of a compiler taken by its name, once it is done (nil: identified from the start).
    var compilerIdentified: (@Sendable () async -> ClangCompiler?)?

    public init(runner: CommandRunning = ProcessRunner(), observer: BuildObserver = SilentObserver(),
                slots: JobSlots = JobSlots(ProcessInfo.processInfo.activeProcessorCount), cache: BuildCache? = nil,
                precompiledHeaders: PrecompiledHeaderBuilds? = nil, container: BuilderContainerToolchain? = nil) {
        self.runner = runner
        self.container = container
        self.observer = observer
        self.slots = slots
        self.cache = cache
        self.precompiledHeaders = precompiledHeaders
    }

    public func execute(_ plan: BuildPlan) async throws -> ExecutionResult {
        for arch in plan.architectures {
            do {
                try FileManager.default.createDirectory(atPath: "\(plan.workDirectory)/\(arch)", withIntermediateDirectories: true)
            } catch {
                throw ExecutionError.step("cannot create the folder for compiled objects \(plan.workDirectory)/\(arch): \(FoundationErrorText.describe(error) ?? "\(error)"); give -o a writable folder")
            }
        }
        let graph = try JobGraph(plan.jobs)
        let compiler = plan.compiler
        let readable = ReadableFolders(plan.readableFolders + [compiler.map { Self.installationFolder(of: $0.path) } ?? ""]
                                       + plan.jobs(.compile).compactMap { $0.precompiledHeader.map { URL(fileURLWithPath: $0).deletingLastPathComponent().path } })
        // Every job starts as soon as the jobs writing its inputs are done (`JobGraph`): each arch links
        // and checks when its own compiles are done, while the other arch's still run — the host's cores
        // are shared by clang, and this work fills the gap the faster arch leaves.
        let completion = JobCompletion()
        let results = try await withThrowingTaskGroup(of: (Int, JobResult).self) { group in
            for index in plan.jobs.indices {
                group.addTask {
                    let job = plan.jobs[index]
                    var result = JobResult.skipped
                    if await completion.waitFor(graph.prerequisites[index]) {
                        do {
                            result = try await run(job, plan: plan, compiler: compiler, readable: readable)
                        } catch {
                            result = .failed(error)
                        }
                    }
                    await completion.finish(index, succeeded: result.succeeded)
                    return (index, result)
                }
            }
            var results = [JobResult](repeating: .skipped, count: plan.jobs.count)
            while let (index, result) = try await group.next() { results[index] = result }
            return results
        }
        try await beforeReportingCompiles?()
        // Compiler messages first, each distinct one once, and a compile failure before any later step's.
        let warnings = try reportCompiles(results.compactMap(\.compileOutcome), readable: readable)
        for result in results { if case .failed(let error) = result { throw error } }
        if let precompiledHeaders {
            for pch in plan.precompiledHeadersToBuild { await precompiledHeaders.want(pch) }
        }
        let wasm = results.lazy.compactMap { result -> WasmOutput? in
            if case .builtWasm(let output) = result { return output }
            return nil
        }.first
        return ExecutionResult(architectures: plan.architectures.compactMap { arch in output(arch, plan: plan, results: results) }, wasm: wasm,
                               compilerWarnings: warnings)
    }

    /// What one job produced; failures are kept, to be reported in the plan's order once all are done.
    enum JobResult {
        case compiled(CompileOutcome)
        case done
        case checked(BPFObjectSummary)
        case verified(VerifierReport?)
        case generatedBTF(BTFGenSummary, read: [String])
        case builtWasm(WasmOutput)
        case failed(Error)
        /// Not run: a job it waits for failed or did not run.
        case skipped

        var succeeded: Bool {
            switch self {
            case .compiled(let outcome): outcome.result.succeeded && outcome.readOutside == nil
            case .failed, .skipped: false
            default: true
            }
        }

        var compileOutcome: CompileOutcome? {
            if case .compiled(let outcome) = self { return outcome }
            return nil
        }
    }

    /// Runs one job of the plan.
    func run(_ job: Job, plan: BuildPlan, compiler: ClangCompiler?, readable: ReadableFolders) async throws -> JobResult {
        switch job.kind {
        case .generateVmlinux:
            try await timed(job) { try GeneratedVmlinux.run(job) }
            return .done
        case .compile:
            let toolchain = try toolchain(for: job, compiler: compiler)
            return .compiled(try await compile(job, toolchain: toolchain, readable: readable,
                                               portable: { PortableCompile.make(job, plan: plan, toolchain: toolchain, versionLine: $0) }))
        case .precompileHeader:
            return .done  // built beside the build (`PrecompiledHeaderBuilds`), never as a planned job
        case .link:
            guard let object = job.outputs.first else { throw ExecutionError.step("internal: a link job without its output") }
            var linked = job
            // Objects from the team's cache record the folders of the machine that compiled them: mapped as this one's are.
            if let arch = job.arch { linked.pathMap = (job.pathMap ?? []) + remoteOrigins.mappings(for: arch) }
            try await link(linked, into: object)
            return .done
        case .check:
            guard let arch = job.arch, let object = job.inputs.first else { throw ExecutionError.step("internal: a check job without its object") }
            return .checked(try await timed(job) { try check(object: object, arch: arch) })
        case .verify:
            guard let arch = job.arch, let object = job.inputs.first else { throw ExecutionError.step("internal: a verify job without its object") }
            guard arch == Architecture.host else {
                observer.note("[\(arch)] not verified: the kernel verifier only loads objects of the host's architecture")
                return .verified(nil)
            }
            return .verified(try await timed(job) { try BPFVerifier.load(URL(fileURLWithPath: object)) })
        case .btfgen:
            guard let object = job.inputs.first else { throw ExecutionError.step("internal: a btfgen job without its object") }
            let (summary, read) = try await timed(job) { try await generateBTF(job, object: object, work: plan.workDirectory) }
            return .generatedBTF(summary, read: read)
        case .wasm:
            let toolchain = try toolchain(for: job, compiler: nil)
            let identity = toolchain.kind == .container ? toolchain.compilerIdentity : plan.wasm?.compiler?.identity ?? ""
            return .builtWasm(try await buildWasm(job, toolchain: toolchain, wasmIdentity: identity))
        }
    }

    /// One arch's linked and checked object, from its jobs' results; nil when the plan packages none for it.
    func output(_ arch: Architecture, plan: BuildPlan, results: [JobResult]) -> ArchitectureOutput? {
        guard let object = plan.programs[arch.rawValue] else { return nil }
        var summary: BPFObjectSummary?
        var verification: VerifierReport?
        var btfgen: BTFGenSummary?
        var inputs = Set<String>(), read: [String] = []
        for (job, result) in zip(plan.jobs, results) where job.arch == arch {
            switch result {
            case .compiled(let outcome): inputs.formUnion(outcome.dependencies)
            case .checked(let checked): summary = checked
            case .verified(let report): verification = report
            case .generatedBTF(let generated, let files): (btfgen, read) = (generated, files)
            default: break
            }
        }
        guard let summary else { return nil }
        return ArchitectureOutput(arch: arch, object: object, summary: summary, verification: verification,
                                  inputs: inputs.sorted() + read, btfgen: btfgen)
    }

    struct CompileOutcome {
        var job: Job
        var result: ProcessResult
        var dependencies: [String]
        /// A file the compile read from outside the folders it may read (native compiles only).
        var readOutside: String?
    }

    /// The folder a compiler is installed in (/usr/lib/llvm-16 for /usr/bin/clang-16): its resource
    /// headers (stdbool.h, …) live below it.
    static func installationFolder(of compiler: String) -> String {
        let real = ResolvedPath(compiler)
        return real.exists ? URL(fileURLWithPath: real.path).deletingLastPathComponent().deletingLastPathComponent().path : ""
    }

    /// `--btfgen` for one arch: bpftool on the host, or in the builder container for a container build.
    func generateBTF(_ job: Job, object: String, work: String) async throws -> (BTFGenSummary, [String]) {
        guard let arch = job.arch, let archive = job.btfHubArchive, let layer = job.outputs.first else {
            throw ExecutionError.step("internal: a btfgen job without its arch, object, archive and layer")
        }
        let toolchain = try self.toolchain(for: job, compiler: nil)
        // The builder image's bpftool is on its PATH; the host's is found as `doctor` finds it.
        let path = toolchain.kind == .container ? "bpftool" : try BPFTool.required(environment: environment)
        let tool = try await bpftools.identity(path, on: toolchain) {
            guard let tool = await BPFTool.identify(path, runner: toolchain.runner) else {
                throw BTFGenError.noBPFTool(toolchain.kind == .container ? "the builder image has no bpftool on its PATH" : "\(path) did not answer `bpftool version`")
            }
            return tool
        }
        let minimiser = BTFGeneration.Minimiser(tool: tool, toolchain: toolchain)
        let generation = BTFGeneration(archive: BTFHubArchive(root: archive), arch: arch, object: object, minimiser: minimiser,
                                       unpacker: runner, slots: slots, cache: cache,
                                       scratch: URL(fileURLWithPath: work).appendingPathComponent("btfgen-\(arch)"), modified: layerTime)
        let observer = self.observer
        let (summary, read) = try await generation.run(into: URL(fileURLWithPath: layer)) { observer.note($0) }
        observer.note("[\(arch)] btfgen: \(summary.kernels) kernel\(summary.kernels == 1 ? "" : "s"), \(summary.minimised) minimised with bpftool \(minimiser.tool.version.split(separator: " ").first ?? ""), \(summary.kernels - summary.minimised) from the cache; layer \(summary.layerBytes) bytes")
        return (summary, read)
    }

    /// Where `job` runs: the host (with `compiler`'s identity for its cache keys) or the build's container.
    func toolchain(for job: Job, compiler: ClangCompiler?) throws -> StepToolchain {
        guard job.toolchain == .container else { return NativeToolchain(runner: runner, compilerIdentity: compiler?.identity ?? "") }
        guard let container else { throw ExecutionError.step("internal: a container job without a builder container") }
        return container
    }

    func timed<T>(_ job: Job, _ body: () async throws -> T) async throws -> T {
        observer.jobStarted(job)
        let start = ContinuousClock.now
        let value = try await body()
        observer.jobFinished(job, milliseconds: (ContinuousClock.now - start).milliseconds)
        return value
    }

    /// A compile job: from the cache when its inputs are unchanged, else clang under a job slot; returns
    /// the result and the files it read. Failures are judged by `reportCompiles` once every job is done,
    /// so that each message is seen once.
    /// `portable` makes the compile's key for the team's cache (given the compiler's version line when the
    /// plan's compiler was taken by its name): only after a local miss, since it reads the source.
    func compile(_ job: Job, toolchain: StepToolchain, readable: ReadableFolders? = nil,
                 portable makePortable: (String?) -> PortableCompile? = { _ in nil }) async throws -> CompileOutcome {
        let (runner, identity) = (toolchain.runner, toolchain.compilerIdentity)
        let key = BuildCache.compileKey(job: job, compilerIdentity: identity)
        let sources = job.inputs.compactMap { job.hostPath(URL(fileURLWithPath: $0, relativeTo: URL(fileURLWithPath: job.workingDirectory ?? "/")).standardizedFileURL.path) }
        if let cache, let hit = cache.lookupCompile(key: key) {
            try AtomicFile.write(hit.object, to: URL(fileURLWithPath: job.outputs[0]))
            observer.jobCached(job)
            // The warnings clang gave when it made the object are shown again (as ig shows them on every build).
            return CompileOutcome(job: job, result: ProcessResult(status: 0, signaled: false, standardOutput: "", standardError: hit.warnings),
                                  dependencies: hit.dependencies)
        }
        let portable = makePortable(nil)
        if let portable, let hit = await remoteHit(portable, readable: job.toolchain == .native ? readable : nil,
                                                   workingDirectory: job.workingDirectory) {
            try AtomicFile.write(hit.object, to: URL(fileURLWithPath: job.outputs[0]))
            if let arch = job.arch { remoteOrigins.add(arch, origin: hit.origin, here: portable.paths, linkMap: portable.linkMap) }
            observer.note("\(job.summary) (from the remote cache)")
            // Back-filled: the next build here finds it locally.
            cache?.storeCompileInBackground(key: key, dependencies: hit.dependencies, objectPath: job.outputs[0], compileStarted: FileClock.coarseNow(),
                                            portable: PortableEntry(key: portable.key, folders: portable.paths.folders, milliseconds: nil),
                                            warnings: hit.warnings)
            return CompileOutcome(job: job, result: ProcessResult(status: 0, signaled: false, standardOutput: "", standardError: hit.warnings),
                                  dependencies: hit.dependencies)
        }
        let observer = self.observer
        let ((ran, result, started), compileMilliseconds) = try await slots.withSlot {
            try Task.checkCancellation()
            observer.jobStarted(job)
            PhaseTrace.mark("\(job.summary): clang started")
            let start = ContinuousClock.now
            let ran = try await compile(job, runner: runner)
            let milliseconds = (ContinuousClock.now - start).milliseconds
            observer.jobFinished(job, milliseconds: milliseconds)
            PhaseTrace.mark("\(job.summary): clang finished")
            return (ran, milliseconds)
        }
        var outcome = CompileOutcome(job: ran, result: result, dependencies: sources)
        if result.succeeded, let depfile = ran.depfile, let text = try? String(contentsOfFile: depfile, encoding: .utf8) {
            // Files of the builder image have no host path; the image's identity in the key covers them.
            var dependencies = Depfile.dependencies(text, relativeTo: ran.workingDirectory ?? "/").compactMap(ran.hostPath)
            for path in ran.presenceInputs where !dependencies.contains(path) { dependencies.append(path) }
            outcome.dependencies = dependencies
            if ran.toolchain == .native, let readable, let outside = readable.firstOutside(dependencies, relativeTo: ran.workingDirectory) {
                // clang's own headers (stdbool.h, …) are in its resource folder, found from where the binary is;
                // a wrapper script named as the compiler (ccache-style) hides that folder: ask clang for it.
                let resource = await resourceDirectories.directory(of: ran.argv[0], runner: runner)
                let widened = ReadableFolders(readable.folders + [resource].compactMap { $0 })
                if let stillOutside = widened.firstOutside(dependencies, relativeTo: ran.workingDirectory) ?? (resource == nil ? outside : nil) {
                    outcome.readOutside = stillOutside
                    return outcome
                }
            }
            // A compiler taken by its name (a first build) has its version line by now: the record gets its
            // portable key all the same, so that `cache push-local` can share it.
            var recorded = portable
            if recorded == nil, ran.toolchain == .native, let line = await compilerIdentified?()?.versionLine, !line.isEmpty {
                recorded = makePortable(line)
            }
            // Stored under the key of the command that made the object (without the PCH after a retry).
            // Beside the link, check and packaging that follow; the build waits for it before it ends.
            cache?.storeCompileInBackground(key: BuildCache.compileKey(job: ran, compilerIdentity: identity),
                                            dependencies: dependencies, objectPath: ran.outputs[0], compileStarted: started,
                                            portable: recorded.map { PortableEntry(key: $0.key, folders: $0.paths.folders, milliseconds: compileMilliseconds) },
                                            warnings: result.standardError)
            if let portable {
                uploadCompile(portable, dependencies: dependencies, objectPath: ran.outputs[0], milliseconds: compileMilliseconds, warnings: result.standardError)
            }
        }
        return outcome
    }

    /// Runs one compile; returns the job that made the result (the PCH-less one after a retry), the
    /// result, and when it started on the file clock (what the cache's "changed while compiled" test needs).
    /// A compile with the precompiled header that fails is judged by clang, not by its message: clang
    /// checks the PCH with the same flags on an empty file; when that works, the error is the source's;
    /// when not, the PCH is at fault (damaged, pruned, stale): it is removed, to be made again by a later
    /// build, and the compile runs without it.
    func compile(_ job: Job, runner: CommandRunning) async throws -> (Job, ProcessResult, Int64) {
        let started = FileClock.coarseNow()
        let environment = job.environment ?? [:]
        let result = try await runner.run(job.argv, workingDirectory: job.workingDirectory, environment: environment)
        guard !result.succeeded, let retry = job.withoutPrecompiledHeader, let check = job.precompiledHeaderCheck, let pch = job.precompiledHeader
        else { return (job, result, started) }
        if try await runner.run(check, workingDirectory: job.workingDirectory, environment: environment).succeeded {
            return (job, result, started)
        }
        let reason = result.standardError.split(separator: "\n").first.map(String.init) ?? "clang exit status \(result.status)"
        observer.note("[\(job.arch?.rawValue ?? "")] the precompiled vmlinux.h could not be used (\(reason)); removed it, to be made again, and compiled without it")
        FileSeal.discard(pch)
        return (retry, try await runner.run(retry.argv, workingDirectory: job.workingDirectory, environment: environment), started)
    }

    /// Shows each distinct compiler message once (both arches usually say the same) and throws for the
    /// first failed compile.
    @discardableResult
    func reportCompiles(_ outcomes: [CompileOutcome], readable: ReadableFolders? = nil) throws -> [String] {
        var printed = Set<String>()
        var shown: [String] = []
        var failure: ExecutionError?
        for outcome in outcomes {
            let (job, result) = (outcome.job, outcome.result)
            let text = job.toolchain == .native ? readable?.redacting(result.standardError, relativeTo: job.workingDirectory) ?? result.standardError
                : result.standardError
            if !text.isEmpty, printed.insert(text).inserted {
                observer.diagnostics(job, text: text)
                shown.append(text)
            }
            if let outside = outcome.readOutside, failure == nil {
                failure = .readsOutside(source: job.inputs.first ?? "source", path: outside)
            }
            guard !result.succeeded, failure == nil else { continue }
            let source = job.inputs.first ?? "source"
            let arch = job.arch?.rawValue ?? "?"
            if result.signaled {
                failure = .compilerCrashed(source: source, arch: arch, signal: result.status)
            } else if text.contains("'vmlinux.h' file not found") {
                failure = .missingVmlinux(arch: arch, source: source)
            } else {
                failure = .compileFailed(source: source, arch: arch, status: result.status)
            }
        }
        if let failure { throw failure }
        return shown
    }

    /// Links with libbpf, or takes the linked object from the cache when the inputs are the same bytes.
    func link(_ job: Job, into object: String) async throws {
        let key: String? = cache.map { _ in
            BuildCache.linkKey(inputDigests: job.inputs.map { (try? ContentDigest.hex(fileAt: $0)) ?? UUID().uuidString },
                               libbpfVersion: Libbpf.version, pathMap: job.pathMap ?? [])
        }
        if let cache, let key, let data = cache.lookup(key: key) {
            try AtomicFile.write(data, to: URL(fileURLWithPath: object))
            observer.jobCached(job)
            return
        }
        try await timed(job) { try BPFLinker.link(job.inputs.map(URL.init(fileURLWithPath:)), into: URL(fileURLWithPath: object), pathMap: job.pathMap ?? []) }
        if let cache, let key { try? cache.store(key: key, objectPath: object) }
    }

    func check(object: String, arch: Architecture) throws -> BPFObjectSummary {
        let summary = try BPFObjectInspector.inspect(URL(fileURLWithPath: object))
        guard summary.hasBTF else {
            throw ExecutionError.step("[\(arch)] \(object) has no .BTF section: compile with -g (gadgetc's compile line has it; check the sources for #pragma or attributes that drop it)")
        }
        guard !summary.programs.isEmpty else {
            throw ExecutionError.step("[\(arch)] \(object) has no eBPF programs: give at least one function a SEC(\"…\") attribute")
        }
        return summary
    }
}

/// `clang -print-resource-dir`, once per compiler path and build.
actor ClangResourceDirectories {
    private var known: [String: String?] = [:]

    func directory(of compiler: String, runner: CommandRunning) async -> String? {
        if let answer = known[compiler] { return answer }
        let result = try? await runner.run([compiler, "-print-resource-dir"], workingDirectory: nil)
        let folder = result.flatMap { $0.succeeded ? $0.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines) : nil }
            .flatMap { $0.hasPrefix("/") ? $0 : nil }
        known[compiler] = .some(folder)
        return folder
    }
}
