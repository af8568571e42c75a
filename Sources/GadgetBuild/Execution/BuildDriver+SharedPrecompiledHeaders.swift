import Foundation

/// The precompiled headers a run of several gadgets builds first, and which of its gadgets wait for them.
public struct SharedPrecompiledHeaders: Sendable {
    public var wanted: [PrecompiledHeader] = []
    /// Gadget folders (as requested) with compiles that use a wanted PCH: they build once it exists.
    /// The others build meanwhile, taking the job slots the PCH compiles leave free.
    public var users: Set<String> = []
    /// A compiler taken by its name, being identified; the gadgets' own builds wait for it rather than
    /// each identifying it again.
    public var identification: Task<ClangCompiler?, Never>?
}

extension BuildDriver {
    /// Before building several gadgets: a precompiled header that at least `threshold` of their compiles
    /// could use, but that does not exist yet, is built first (in parallel across arches) so that they
    /// all use it. Measured here: a PCH costs about one and a half plain compiles to make and saves
    /// about half of every compile that uses it, so from three users on it pays within this run. Fewer
    /// users keep the single-build rule: never wait for a PCH, start it in the background.
    /// This plans them (generating vmlinux.h first where it comes from the kernel's BTF); `build` makes them.
    public func planSharedPrecompiledHeaders(_ requests: [BuildRequest], threshold: Int = 3) async -> SharedPrecompiledHeaders {
        var shared = SharedPrecompiledHeaders()
        var usersByKey: [String: Set<String>] = [:]
        var users: [String: (pch: PrecompiledHeader, count: Int)] = [:]
        // Planning N gadgets asks the probe once, and once more after vmlinux.h was generated (its answer changes then).
        var probes = ProbeMemo()
        func planner() -> BuildDriver {
            BuildDriver(host: self.host, cache: self.cache, observer: self.observer, runner: self.runner, slots: self.slots,
                        probes: probes, precompiledHeaders: self.precompiledHeaders, remoteCache: self.remoteCache)
        }
        // With a team cache, a compile it holds needs no PCH: only the others count as users (the keys need
        // the compiler's version line, so it is identified first rather than taken by its name).
        let provisional = remoteCache == nil
        // A compiler taken by its name is identified beside the PCH compiles (the PCH is keyed by its binary).
        var identification: Task<ClangCompiler?, Never>?
        for request in requests where request.useCache {
            guard var (plan, gadget, _) = try? await planner().planAndProbe(request, provisionalCompiler: provisional) else { continue }
            if identification == nil, let compiler = plan.compiler, compiler.isProvisional {
                let locator = ClangLocator(host: host, cache: cache)
                identification = Task { await locator.identifyAndRemember(compiler.path) }
            }
            // vmlinux.h made from the kernel's BTF comes first: the PCH is made from it.
            let generate = plan.jobs(.generateVmlinux)
            if !generate.isEmpty {
                for job in generate {
                    guard let btf = job.inputs.first, let output = job.outputs.first, !FileSeal.isSealed(output, host: host) else { continue }
                    try? CacheLocation.createFolders(URL(fileURLWithPath: output).deletingLastPathComponent())
                    try? GeneratedVmlinux.generate(fromBTF: URL(fileURLWithPath: btf), to: URL(fileURLWithPath: output))
                }
                probes = ProbeMemo()
                guard let replanned = try? await planner().planAndProbe(request, provisionalCompiler: provisional) else { continue }
                (plan, gadget, _) = replanned
            }
            let inTeamCache = await compilesInTeamCache(plan)
            for pch in plan.precompiledHeadersToBuild {
                let eligible = plan.jobs(.compile).filter { job in
                    job.toolchain == .native && job.arch == pch.arch
                        && gadget.sourcesStartingWithVmlinux.contains(job.inputs.first ?? "")
                        && !inTeamCache.contains(job.outputs.first ?? "")
                }.count
                users[pch.key, default: (pch, 0)].count += eligible
                if eligible > 0 { usersByKey[pch.key, default: []].insert(request.gadgetFolder) }
            }
        }
        shared.wanted = users.values.filter { $0.count >= threshold }.map(\.pch)
        shared.users = shared.wanted.reduce(into: Set<String>()) { $0.formUnion(usersByKey[$1.key] ?? []) }
        shared.identification = identification
        return shared
    }

    /// The outputs of the plan's native compiles the team cache has an entry for (asked at once).
    func compilesInTeamCache(_ plan: BuildPlan) async -> Set<String> {
        guard let remote = remoteCache, remote.isEnabled else { return [] }
        let toolchain = NativeToolchain(runner: runner, compilerIdentity: plan.compiler?.identity ?? "")
        let keyed = plan.jobs(.compile).filter { $0.toolchain == .native }.compactMap { job in
            PortableCompile.make(job, plan: plan, toolchain: toolchain).map { (job.outputs.first ?? "", $0.key) }
        }
        return await withTaskGroup(of: String?.self) { group in
            for (output, key) in keyed { group.addTask { await remote.hasEntry(key) ? output : nil } }
            var found = Set<String>()
            for await output in group { if let output { found.insert(output) } }
            return found
        }
    }

    /// Builds the planned PCHs (at once, each holding a job slot) and waits for the compiler's identification.
    public func buildSharedPrecompiledHeaders(_ shared: SharedPrecompiledHeaders) async {
        let runner = self.runner, slots = self.slots, observer = self.observer
        await withTaskGroup(of: Void.self) { group in
            for pch in shared.wanted where !FileSeal.isSealed(pch.output) {
                group.addTask {
                    try? CacheLocation.createFolders(URL(fileURLWithPath: pch.output).deletingLastPathComponent())
                    let job = Job(kind: .precompileHeader, arch: pch.arch, argv: pch.argv, inputs: [pch.header], outputs: [pch.output])
                    _ = try? await slots.withSlot {
                        observer.jobStarted(job)
                        PhaseTrace.mark("[\(pch.arch)] precompile vmlinux.h: clang started")
                        let start = ContinuousClock.now
                        let result = try await PrecompiledHeaderSeal.build(argvWithoutOutput: pch.argvWithoutOutput, output: pch.output,
                                                                           environment: pch.environment ?? [:], runner: runner)
                        PhaseTrace.mark("[\(pch.arch)] precompile vmlinux.h: clang finished")
                        observer.jobFinished(job, milliseconds: (ContinuousClock.now - start).milliseconds)
                        return result
                    }
                }
            }
        }
        _ = await shared.identification?.value
    }
}
