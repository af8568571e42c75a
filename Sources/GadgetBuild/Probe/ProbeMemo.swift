import Foundation

/// The probe's answer for one run of builds: every gadget of `gadgetc build A B C` asks the same host
/// the same question, so it is asked once (concurrent askers wait for the first answer).
public actor ProbeMemo {
    private var reports: [String: Task<ProbeReport, Never>] = [:]
    /// The wasm toolchains, found once for every gadget of the run that has a Go or Rust source.
    nonisolated let wasmToolchains = WasmToolchainMemo()

    public init() {}

    func report(for key: String, _ make: @escaping @Sendable () async -> ProbeReport) async -> ProbeReport {
        if let pending = reports[key] { return await pending.value }
        let task = Task { await make() }
        reports[key] = task
        return await task.value
    }
}
