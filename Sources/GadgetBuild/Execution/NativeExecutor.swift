import Foundation

/// What running a plan produced for one arch.
public struct ArchitectureOutput: Codable, Sendable {
    public var arch: Architecture
    public var object: String
    public var summary: BPFObjectSummary
    /// Filled when the plan asked for --verify and the arch is the host's.
    public var verification: VerifierReport?
}

/// Runs a plan on the host: clang per compile job (in parallel, bounded), then libbpf in-process to
/// link, check and optionally verify each arch.
public struct NativeExecutor: Sendable {
    let runner: CommandRunning
    let observer: BuildObserver
    let parallelism: Int

    public init(runner: CommandRunning = ProcessRunner(), observer: BuildObserver = SilentObserver(),
                parallelism: Int = ProcessInfo.processInfo.activeProcessorCount) {
        self.runner = runner
        self.observer = observer
        self.parallelism = max(1, parallelism)
    }

    public func execute(_ plan: BuildPlan) async throws -> [ArchitectureOutput] {
        for arch in plan.architectures {
            try FileManager.default.createDirectory(atPath: "\(plan.workDirectory)/\(arch)", withIntermediateDirectories: true)
        }
        for job in plan.jobs(.generateVmlinux) { try await timed(job) { try generateVmlinux(job) } }
        try await compileAll(plan.jobs(.compile))

        var outputs: [ArchitectureOutput] = []
        for arch in plan.architectures {
            guard let object = plan.programs[arch.rawValue] else { continue }
            for job in plan.jobs.filter({ $0.arch == arch && $0.kind == .link }) {
                try await timed(job) { try BPFLinker.link(job.inputs.map(URL.init(fileURLWithPath:)), into: URL(fileURLWithPath: object)) }
            }
            var summary: BPFObjectSummary?
            for job in plan.jobs.filter({ $0.arch == arch && $0.kind == .check }) {
                summary = try await timed(job) { try check(object: object, arch: arch) }
            }
            var verification: VerifierReport?
            for job in plan.jobs.filter({ $0.arch == arch && $0.kind == .verify }) {
                if arch == Architecture.host {
                    verification = try await timed(job) { try BPFVerifier.load(URL(fileURLWithPath: object)) }
                } else {
                    observer.note("[\(arch)] not verified: the kernel verifier only loads objects of the host's architecture")
                }
            }
            if let summary { outputs.append(ArchitectureOutput(arch: arch, object: object, summary: summary, verification: verification)) }
        }
        return outputs
    }

    func timed<T>(_ job: Job, _ body: () async throws -> T) async throws -> T {
        observer.jobStarted(job)
        let start = ContinuousClock.now
        let value = try await body()
        observer.jobFinished(job, milliseconds: (ContinuousClock.now - start).milliseconds)
        return value
    }

    func generateVmlinux(_ job: Job) throws {
        guard let output = job.outputs.first, let btf = job.inputs.first else { return }
        if FileManager.default.fileExists(atPath: output) { return }  // another build made it meanwhile
        try FileManager.default.createDirectory(atPath: URL(fileURLWithPath: output).deletingLastPathComponent().path, withIntermediateDirectories: true)
        try VmlinuxHeader.generate(fromBTF: URL(fileURLWithPath: btf), to: URL(fileURLWithPath: output))
    }

    /// Runs every compile job, at most `parallelism` at once, and fails after all have finished so
    /// that each arch's diagnostics are seen once.
    func compileAll(_ jobs: [Job]) async throws {
        let runner = self.runner, observer = self.observer
        let results = try await withThrowingTaskGroup(of: (Int, ProcessResult).self) { group in
            var results = [ProcessResult?](repeating: nil, count: jobs.count)
            for (index, job) in jobs.enumerated() {
                if index >= parallelism, let (done, result) = try await group.next() { results[done] = result }
                group.addTask {
                    observer.jobStarted(job)
                    let start = ContinuousClock.now
                    let result = try await runner.run(job.argv, workingDirectory: job.workingDirectory)
                    observer.jobFinished(job, milliseconds: (ContinuousClock.now - start).milliseconds)
                    return (index, result)
                }
            }
            while let (index, result) = try await group.next() { results[index] = result }
            return results.compactMap { $0 }
        }
        var printed = Set<String>()
        var failure: ExecutionError?
        for (job, result) in zip(jobs, results) {
            let text = result.standardError
            // Both arches usually say the same thing: show each distinct message once.
            if !text.isEmpty, printed.insert(text).inserted { observer.diagnostics(job, text: text) }
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
