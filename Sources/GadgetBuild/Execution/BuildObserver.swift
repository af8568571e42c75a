import Foundation

/// Hears about a build as it runs: progress lines on a terminal, nothing under --json.
public protocol BuildObserver: Sendable {
    func jobStarted(_ job: Job)
    func jobFinished(_ job: Job, milliseconds: Double)
    /// The job's output came from the cache.
    func jobCached(_ job: Job)
    /// A compiler's own messages (warnings or errors), verbatim.
    func diagnostics(_ job: Job, text: String)
    /// A one-line remark (which toolchain, a fallback, a skipped step).
    func note(_ text: String)
    /// A line of the builder image's pull.
    func pullProgress(_ progress: PullProgress)
}

extension BuildObserver {
    public func pullProgress(_ progress: PullProgress) {}
}

/// Hears nothing.
public struct SilentObserver: BuildObserver {
    public init() {}
    public func jobStarted(_ job: Job) {}
    public func jobFinished(_ job: Job, milliseconds: Double) {}
    public func jobCached(_ job: Job) {}
    public func diagnostics(_ job: Job, text: String) {}
    public func note(_ text: String) {}
}

extension Duration {
    public var milliseconds: Double { Double(components.seconds) * 1000 + Double(components.attoseconds) / 1e15 }
}

/// How long one step of a build took (`--json`'s `steps`), or that it came from the cache.
public struct StepTiming: Codable, Equatable, Sendable {
    public var step: String
    public var kind: Job.Kind
    public var arch: Architecture?
    public var milliseconds: Double?
    public var cached: Bool
}

/// Passes everything on to another observer and keeps each finished step's time, in the order they end.
public final class StepRecorder: BuildObserver, @unchecked Sendable {
    let next: BuildObserver
    private let lock = NSLock()
    private var recorded: [StepTiming] = []

    public init(forwardingTo next: BuildObserver) { self.next = next }

    public var steps: [StepTiming] { lock.withLock { recorded } }

    public func jobStarted(_ job: Job) { next.jobStarted(job) }
    public func jobFinished(_ job: Job, milliseconds: Double) {
        lock.withLock { recorded.append(StepTiming(step: job.summary, kind: job.kind, arch: job.arch, milliseconds: milliseconds, cached: false)) }
        next.jobFinished(job, milliseconds: milliseconds)
    }
    public func jobCached(_ job: Job) {
        lock.withLock { recorded.append(StepTiming(step: job.summary, kind: job.kind, arch: job.arch, milliseconds: nil, cached: true)) }
        next.jobCached(job)
    }
    public func diagnostics(_ job: Job, text: String) { next.diagnostics(job, text: text) }
    public func note(_ text: String) { next.note(text) }
    public func pullProgress(_ progress: PullProgress) { next.pullProgress(progress) }
}
