import Foundation

/// Builds one gadget from a request: probe → plan → execute → validate → package. Mirrors
/// swift-driver's shape: planning is data, running it is separate, and the caller picks the observer.
public struct BuildDriver: Sendable {
    public let host: HostSystem
    public let cache: CacheLocation
    public let observer: BuildObserver
    /// Bounds the subprocesses of every build this driver runs (`-j`).
    public let slots: JobSlots
    /// Background PCH builds started by this driver's builds.
    let precompiledHeaders: PrecompiledHeaderBuilds
    /// Probe answers shared by the drivers of one run; nil probes for every build.
    let probes: ProbeMemo?
    let runner: CommandRunning
    /// The team's cache (`--remote-cache`), shared by the drivers of one run.
    public let remoteCache: RemoteCache?

    public init(host: HostSystem = LiveHost(), cache: CacheLocation? = nil, observer: BuildObserver = SilentObserver(),
                runner: CommandRunning? = nil, slots: JobSlots = JobSlots(ProcessInfo.processInfo.activeProcessorCount),
                probes: ProbeMemo? = nil, precompiledHeaders: PrecompiledHeaderBuilds = PrecompiledHeaderBuilds(),
                remoteCache: RemoteCache? = nil) {
        self.host = host
        self.cache = cache ?? CacheLocation(environment: host.environment)
        self.observer = observer
        // Every command's time bound: GADGETC_TIMEOUT as the host sees it.
        self.runner = runner ?? ProcessRunner(timeout: ProcessRunner.timeout(environment: host.environment))
        self.slots = slots
        self.probes = probes
        self.precompiledHeaders = precompiledHeaders
        self.remoteCache = remoteCache
    }

    /// The probe's answer for `request`; `provisionalCompiler` lets it name an unidentified clang (builds only).
    public func probe(_ request: BuildRequest, provisionalCompiler: Bool = false) async -> ProbeReport {
        let probe = HostProbe(host: host, cache: cache, userIncludeDirectories: request.includeDirectories,
                              engineOption: request.container.engineOption, purpose: provisionalCompiler ? .provisionalBuild : .build)
        guard let probes else { return await probe.run() }
        let key = (request.includeDirectories + [request.container.engineOption ?? "", "\(provisionalCompiler)"]).joined(separator: "\u{0}")
        return await probes.report(for: key) { await probe.run() }
    }

    /// Reads the gadget folder (unless the caller already did) and plans every job without running any.
    public func plan(_ request: BuildRequest, gadget known: GadgetFolder? = nil, workDirectory: URL? = nil) async throws -> (BuildPlan, GadgetFolder) {
        let (plan, gadget, _) = try await planAndProbe(request, gadget: known, workDirectory: workDirectory)
        return (plan, gadget)
    }

    /// `plan`, also returning the probe's answer (`knownProbe` when given, else the probe's).
    func planAndProbe(_ request: BuildRequest, gadget known: GadgetFolder? = nil, workDirectory: URL? = nil,
                      knownProbe: ProbeReport? = nil, provisionalCompiler: Bool = false) async throws -> (BuildPlan, GadgetFolder, ProbeReport) {
        let gadget = try known ?? GadgetFolder(folder: request.gadgetFolder, buildFilePath: request.buildFile)
        PhaseTrace.mark("\(gadget.name): gadget folder read")
        let report: ProbeReport
        if let knownProbe {
            report = knownProbe
        } else {
            report = await probe(request, provisionalCompiler: provisionalCompiler)
        }
        PhaseTrace.mark("\(gadget.name): probed" + (knownProbe != nil ? " (the last build's answer)" : ""))
        let work = workDirectory ?? request.outputDirectory.map { URL(fileURLWithPath: $0).standardizedFileURL }
            ?? URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent(AbandonedWorkFolders.newName())
        if workDirectory == nil, request.outputDirectory == nil { AbandonedWorkFolders.removeInBackground() }
        let usePCH = request.useCache && host.environment["GADGETC_PCH"] != "off"
        let wasmHost = await wasmHostContext(request, gadget: gadget)
        let plan = try BuildPlanner(probe: report, cache: usePCH ? cache : nil,
                                    precompiledHeaderExists: { FileSeal.isSealed($0) },
                                    clangEnvironment: ClangEnvironment.additions(to: host.environment), wasmHost: wasmHost).plan(request, gadget: gadget, workDirectory: work,
                                                        keepsWorkDirectory: request.outputDirectory != nil)
        PhaseTrace.mark("\(gadget.name): planned")
        return (plan, gadget, report)
    }

    /// What the planner needs for a gadget's wasm step: the host toolchain (asked only when the gadget
    /// has a Go or Rust source and may build natively), the toolchains' cache folder, the host's module caches.
    func wasmHostContext(_ request: BuildRequest, gadget: GadgetFolder) async -> WasmHostContext {
        guard let language = gadget.wasm?.language else { return WasmHostContext() }
        let locator = WasmToolchainLocator(host: host)
        var finding: WasmToolchainFinding?
        if request.toolchain != .container {
            if let probes { finding = await probes.wasmToolchains.finding(language, locator: locator) } else { finding = await locator.find(language) }
        }
        let folders = WasmHostContext.hostFolders(environment: host.environment, fileExists: host.fileExists)
        return WasmHostContext(finding: finding, toolCaches: request.useCache ? cache.folder("wasm").path : nil,
                               igSourcePath: host.environment["IG_SOURCE_PATH"].flatMap { $0.isEmpty ? nil : $0 },
                               goModuleCache: folders.go, cargoRegistry: folders.cargo)
    }

    public func build(_ request: BuildRequest) async throws -> BuildOutcome {
        let start = ContinuousClock.now
        let started = BuildRecord.now()
        // A verify run asks the kernel again, so it never takes the shortcut.
        // --update-metadata must look at the object even when nothing moved since a build without it.
        let recordKey = request.useCache && !request.verify && !request.updateMetadata ? BuildRecord.key(request, environment: host.environment) : nil
        let record = recordKey.flatMap { BuildRecords(cache: cache).load($0) }
        if let record, var outcome = upToDate(record) {
            // As on the build that made it: the warnings its compiles gave are shown again.
            for text in outcome.compilerWarnings ?? [] {
                observer.diagnostics(Job(kind: .compile, arch: nil, inputs: [], outputs: []), text: text)
            }
            observer.note("\(URL(fileURLWithPath: outcome.gadget).lastPathComponent): up to date")
            outcome.elapsedMilliseconds = (ContinuousClock.now - start).milliseconds
            outcome.peakMemoryKiB = Self.peakMemoryKiB()
            return outcome
        }
        let buildCache = request.useCache ? openCache() : nil
        let outcome: BuildOutcome
        let probeReport: ProbeReport
        do {
            // An edit changes the gadget's files, not the host: the last build's probe answer still holds.
            do {
                // The remote cache's keys need the compiler's version line: no compiler taken by its name alone.
                (outcome, probeReport) = try await fullBuild(request, start: start, buildCache: buildCache, knownProbe: record?.reusableProbe,
                                                             provisionalCompiler: remoteCache == nil)
            } catch ExecutionError.compilerNotAsNamed(let path, let found) {
                // Taken by its name, the compiler turned out to be another version or to lack the BPF target:
                // build again with it identified (the probe now knows it), which may pick another one.
                observer.note("\(path) is \(found): planning again with the compilers identified")
                (outcome, probeReport) = try await fullBuild(request, start: start, buildCache: buildCache, knownProbe: nil, provisionalCompiler: false)
            }
        } catch {
            await buildCache?.finishWrites()
            if precompiledHeaders.startsAfterEachBuild { await precompiledHeaders.startWanted() }
            throw error
        }
        if let recordKey {
            BuildRecords(cache: cache).save(BuildRecord.make(request: request, environment: host.environment, outcome: outcome,
                                                             probe: probeReport, started: started), key: recordKey)
            PhaseTrace.mark("build record saved")
        }
        await buildCache?.finishWrites()
        await remoteCache?.finishUploads()
        if precompiledHeaders.startsAfterEachBuild { await precompiledHeaders.startWanted() }
        var finished = outcome
        finished.remoteCache = remoteCache?.statistics
        return finished
    }

    /// The recorded outcome when nothing it depends on moved and the image is still tagged with it, with
    /// every blob it needs present at its size (a damaged image is built, and so repaired, again).
    func upToDate(_ record: BuildRecord) -> BuildOutcome? {
        let store = OCIImageStore(root: URL(fileURLWithPath: record.outcome.destination))
        guard record.isCurrent,
              let reference = try? ImageReference(parsing: record.outcome.image),
              (try? store.resolve(reference)) == record.outcome.digest,
              store.problems(ofImage: record.outcome.digest, deep: false).isEmpty
        else { return nil }
        return record.outcome
    }

    func fullBuild(_ request: BuildRequest, start: ContinuousClock.Instant, buildCache: BuildCache?,
                   knownProbe: ProbeReport?, provisionalCompiler: Bool = true) async throws -> (BuildOutcome, ProbeReport) {
        // Parse everything the user wrote before any work, so bad input fails fast and touches nothing.
        let folder = try GadgetFolder(folder: request.gadgetFolder, buildFilePath: request.buildFile)
        var metadata = try folder.metadata.map(GadgetMetadata.init(contentsOf:))
        let reference = try ImageReference(parsing: request.tag ?? defaultTag(request))
        let created = try GadgetImageContent.creationDate(environment: host.environment)

        var (plan, gadget, report) = try await planAndProbe(request, gadget: folder, knownProbe: knownProbe, provisionalCompiler: provisionalCompiler)
        // --btfgen: an archive without kernels, or no bpftool for a native arch, fails before any compile.
        for job in plan.jobs(.btfgen) {
            if let arch = job.arch, let archive = job.btfHubArchive { _ = try BTFHubArchive(root: archive).kernels(for: arch) }
            if job.toolchain == .native { _ = try BPFTool.required(environment: host.environment) }
        }
        // A compiler taken by its name is identified beside the compiles (which would otherwise wait ~25 ms for it).
        let identification: Task<ClangCompiler?, Never>? = plan.compiler.flatMap { compiler in
            guard compiler.isProvisional else { return nil }
            let locator = ClangLocator(host: host, cache: cache)
            return Task { await locator.identifyAndRemember(compiler.path) }
        }
        for warning in plan.warnings { observer.note("warning: \(warning)") }
        if gadget.ebpfSources.isEmpty {
            observer.note("\(gadget.name): no eBPF source: the image gets \(gadget.wasm != nil ? "the wasm module" : "gadget.yaml") for \(plan.architectures.map(\.rawValue).joined(separator: ", "))")
        } else {
            // Why this clang and not another is doctor's to say (once), not every build's.
            observer.note("\(gadget.name): " + plan.toolchains.map { decision in
                decision.toolchain == .container
                    ? "\(decision.arch) in the builder container (\(decision.reasons.first ?? ""))"
                    : "\(decision.arch) native"
            }.joined(separator: ", ") + (plan.compiler.map { "; clang \($0.version) at \($0.path)" } ?? ""))
        }
        defer { if !plan.keepsWorkDirectory { try? FileManager.default.removeItem(atPath: plan.workDirectory) } }
        let recorder = StepRecorder(forwardingTo: observer)
        var executor = BuildExecutor(runner: runner, observer: recorder, slots: slots, cache: buildCache, precompiledHeaders: precompiledHeaders)
        executor.remote = buildCache == nil ? nil : remoteCache
        executor.environment = host.environment
        if host.environment["SOURCE_DATE_EPOCH"] != nil { executor.layerTime = Int64(created.timeIntervalSince1970) }
        if let identification, let compiler = plan.compiler {
            executor.beforeReportingCompiles = { [self] in try await confirmCompiler(compiler, identification) }
            executor.compilerIdentified = { await identification.value.flatMap { $0.confirms(compiler) ? $0 : nil } }
        }
        let executed: ExecutionResult
        do {
            if let settings = plan.container {
                executed = try await ContainerBuild(settings: settings, observer: observer, environment: host.environment)
                    .run(plan, gadget: gadget, compat: plan.containerCompatDirectory, executor: executor)
            } else {
                executed = try await executor.execute(plan)
            }
        } catch {
            try await confirmCompiler(plan.compiler, identification)
            throw error
        }
        let outputs = executed.architectures
        if let wasm = executed.wasm {
            observer.note("\(gadget.name): wasm module \(wasm.bytes) bytes, exports \(wasm.exports.joined(separator: ", "))")
        }
        if let identified = try await confirmCompiler(plan.compiler, identification) {
            Self.adopt(identified, plan: &plan, report: &report, request: request, gadget: gadget)
        }
        PhaseTrace.mark("\(gadget.name): objects linked and checked")
        if buildCache != nil { CacheMaintenance(location: cache).pruneIfDue() }

        // --update-metadata: gadget.yaml gets what the object has and it lacks (created if missing); the
        // updated bytes are what is validated and packaged.
        var metadataFile = gadget.metadata
        // Fields and data sources the wasm module adds, as its source names them.
        let wasmFields = request.updateMetadata || request.validateMetadata ? WasmDeclaredFields.read(gadget.wasm) : nil
        if request.updateMetadata, let output = outputs.first {
            let target = gadget.metadata ?? gadget.root.appendingPathComponent(gadget.configuration.metadata)
            let descriptions = metadataDescriptions(plan, arch: output.arch, object: output.summary)
            let update = try MetadataUpdater(descriptions: descriptions.source).update(metadata?.bytes, object: output.summary, wasm: wasmFields,
                                                                                       origin: target.lastPathComponent)
            if update.changed {
                try MetadataUpdater.write(update.bytes, to: target,
                                          ownerLike: gadget.ebpfSources.first.map { gadget.root.appendingPathComponent($0) })
                metadata = try GadgetMetadata(bytes: update.bytes, origin: target.lastPathComponent)
                metadataFile = target
                observer.note("\(gadget.name): \(update.created ? "created" : "updated") \(target.lastPathComponent), added "
                              + update.added.joined(separator: "; "))
                if let note = descriptions.note { observer.note("\(gadget.name): \(note)") }
            } else {
                observer.note("\(gadget.name): \(target.lastPathComponent) already describes everything the object has")
            }
            if !update.skipped.isEmpty {
                observer.note("warning: \(gadget.name): --update-metadata left alone: " + update.skipped.joined(separator: "; "))
            }
        }
        if request.validateMetadata {
            if let metadata, let output = outputs.first {
                for unknown in MetadataValidator().unknownFields(metadata, object: output.summary, wasm: wasmFields)
                where !unknown.isLikelyMisspelling {
                    observer.note("warning: \(gadget.name): \(metadataFile?.lastPathComponent ?? "gadget.yaml"): \(unknown.text)")
                }
            }
            for output in outputs {
                let problems = MetadataValidator().problems(metadata: metadata, object: output.summary, wasm: wasmFields)
                if !problems.isEmpty {
                    throw MetadataError.validation(file: metadataFile?.lastPathComponent ?? "gadget.yaml", problems: problems)
                }
            }
        }
        for output in outputs {
            guard let report = output.verification, !report.allAccepted else { continue }
            let reasons = report.programs.compactMap { name, verdict -> String? in
                if case .rejected(let reason, _, let location) = verdict {
                    return "\(location.map { "\($0.file):\($0.line): " } ?? "")\(name): \(reason)"
                }
                return nil
            }.sorted()
            throw ExecutionError.step("[\(output.arch)] the kernel verifier rejected the object: \((reasons.isEmpty ? [report.objectFailure ?? "no reason given"] : reasons).joined(separator: "; "))")
        }

        var content = GadgetImageContent(
            programs: Dictionary(uniqueKeysWithValues: outputs.map { ($0.arch.rawValue, URL(fileURLWithPath: $0.object)) }),
            wasm: executed.wasm.map { URL(fileURLWithPath: $0.module) } ?? gadget.wasmModule, metadata: metadata?.bytes,
            btfgen: Dictionary(uniqueKeysWithValues: outputs.compactMap { output in output.btfgen.map { (output.arch.rawValue, URL(fileURLWithPath: $0.layer)) } }),
            annotations: try metadata.map { try GadgetImageContent.annotations(fromMetadata: $0.bytes, builderVersion: request.builderVersion) } ?? [:],
            created: created)
        content.architectures = plan.architectures.map(\.rawValue)
        let store = request.ociLayout.map { OCIImageStore(root: URL(fileURLWithPath: $0)) }
            ?? OCIImageStore.defaultStore(environment: host.environment, isRoot: host.isRoot)
        PhaseTrace.mark("\(gadget.name): validated")
        let built = try store.add(content, as: reference)
        PhaseTrace.mark("\(gadget.name): packaged")
        let destination = store.root

        var outcome = BuildOutcome(
            gadget: gadget.root.path, image: reference.description, digest: built.indexDigest, destination: destination.path,
            compiler: plan.compiler, builderImage: plan.container?.image,
            architectures: outputs.map { output in
                let decision = plan.toolchains.first { $0.arch == output.arch }
                return BuildOutcome.ArchitectureResult(
                    arch: output.arch, toolchain: decision?.toolchain ?? .native, reasons: decision?.reasons ?? [],
                    object: plan.keepsWorkDirectory ? output.object : nil,
                    programs: output.summary.programs, maps: output.summary.maps.filter { !$0.isInternal },
                    verification: output.verification, btfgen: output.btfgen)
            },
            // A host wasm toolchain's binaries count as read: a new Go or cargo is not a no-op.
            inputs: Array(Set(outputs.flatMap(\.inputs) + (executed.wasm?.inputs ?? [])
                              + [plan.wasm?.compiler?.path, plan.wasm?.compiler?.rustc].compactMap { $0.map(host.realPath) }
                                  + [gadget.buildFile, metadataFile, gadget.wasmModule].compactMap { $0?.path })).sorted(),
            elapsedMilliseconds: (ContinuousClock.now - start).milliseconds,
            peakMemoryKiB: Self.peakMemoryKiB())
        outcome.reproducibility = ProbeReport.reproducibility(of: plan.compiler)
        outcome.wasm = executed.wasm
        outcome.steps = recorder.steps
        outcome.compilerWarnings = executed.compilerWarnings.isEmpty ? nil : executed.compilerWarnings
        outcome.diagnostics = executed.compilerWarnings.isEmpty ? nil : executed.compilerWarnings.flatMap(CompilerDiagnostic.parse)
        return (outcome, report)
    }

    /// Puts the identified compiler where the provisional one was (the outcome and the build record
    /// show it); the decisions and the plan's toolchains, whose reasons name its version, are derived
    /// again from the report as the probe and the planner make them.
    static func adopt(_ identified: ClangCompiler, plan: inout BuildPlan, report: inout ProbeReport,
                      request: BuildRequest, gadget: GadgetFolder) {
        plan.compiler = identified
        report.chosenCompiler = identified
        report.reproducibility = ProbeReport.reproducibility(of: identified)
        report.compilers = report.compilers.map { $0.path == identified.path ? identified : $0 }
        report.capabilities = report.capabilities.map { capability in
            var capability = capability
            if capability.path == identified.path { capability.version = identified.version }
            return capability
        }
        report.decisions = Architecture.allCases.map { HostProbe.decide($0, report: report) }
        if let toolchains = try? BuildPlanner(probe: report).selectToolchains(request, gadget: gadget) { plan.toolchains = toolchains }
    }

    /// Waits for a provisional compiler's identification: the identified compiler when it is the one its
    /// name promised, nil when there was nothing to identify; throws when the name misled.
    @discardableResult
    func confirmCompiler(_ compiler: ClangCompiler?, _ identification: Task<ClangCompiler?, Never>?) async throws -> ClangCompiler? {
        guard let compiler, let identification else { return nil }
        let identified = await identification.value
        guard let identified, identified.confirms(compiler) else {
            let found = identified.map { "clang \($0.version)\($0.hasBPFTarget ? "" : " without the BPF target")" } ?? "not a clang that answers -v"
            throw ExecutionError.compilerNotAsNamed(path: compiler.path, found: found)
        }
        return identified
    }

    /// This process's own peak RSS: the address space's high-water mark (`VmHWM`). Not getrusage's
    /// ru_maxrss, which Linux carries across exec from the process that forked us: started by a
    /// 150 MB parent, gadgetc reported 150 MB (the benchmark's rows after its in-process libclang).
    static func peakMemoryKiB() -> Int {
        if let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
           let kib = peakMemoryKiB(status: status) {
            return kib
        }
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Int(usage.ru_maxrss)
    }

    /// `VmHWM:    36744 kB` of /proc/self/status.
    static func peakMemoryKiB(status: String) -> Int? {
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }) else { return nil }
        return line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first.flatMap { Int($0) }
    }

    /// The shared cache, or nil (with a note) when its folder cannot be used: a build never fails for it.
    func openCache() -> BuildCache? {
        do {
            let buildCache = try BuildCache(location: cache)
            let observer = self.observer
            buildCache.onNote = { observer.note($0) }
            return buildCache
        } catch {
            observer.note("building without the cache: \(cache.root.path) is not usable (\(FoundationErrorText.describe(error) ?? "\(error)"))")
            return nil
        }
    }

    /// ig names an untagged build after nothing; gadgetc uses the gadget folder's name, tag latest:
    /// `ghcr.io/inspektor-gadget/gadget/<name>:latest`. The name is made a valid repository name
    /// (lowercase; `a:b` or `my gadget` become `a-b`, `my-gadget`) so that no part of it is taken for a
    /// tag or registry; a name with nothing usable left is an error asking for -t.
    func defaultTag(_ request: BuildRequest) throws -> String {
        let folder = URL(fileURLWithPath: request.gadgetFolder).standardizedFileURL.lastPathComponent
        var name = ""
        var separators = ""
        func flushSeparators() {
            guard !separators.isEmpty else { return }
            // Allowed between two name characters: ".", "_", "__" or a run of "-"; anything else becomes "-".
            name += [".", "_", "__"].contains(separators) || separators.allSatisfy({ $0 == "-" }) ? separators : "-"
            separators = ""
        }
        for character in folder.lowercased() {
            if character.isASCII && (character.isLetter || character.isNumber) {
                if !name.isEmpty { flushSeparators() }
                separators = ""
                name.append(character)
            } else {
                separators.append(".-_".contains(character) ? character : "-")
            }
        }
        let reference = "ghcr.io/inspektor-gadget/gadget/\(name):latest"
        guard !name.isEmpty, (try? ImageReference(parsing: reference)) != nil else {
            throw ExecutionError.step("cannot name the image after the folder '\(folder)' (no letters or digits to use): pass -t NAME:TAG")
        }
        return reference
    }
}
