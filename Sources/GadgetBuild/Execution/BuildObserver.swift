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
    var milliseconds: Double { Double(components.seconds) * 1000 + Double(components.attoseconds) / 1e15 }
}
