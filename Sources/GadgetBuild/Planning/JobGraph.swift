import Foundation

/// The order a plan's jobs must run in, from the files they name: a job waits for every job that
/// writes a file it reads (its inputs, and the presence inputs such as the vmlinux.h a compile may
/// take). Nothing else orders them, so a new kind of step runs as early as its inputs allow — beside
/// the compiles when it needs none of their objects, after the link when it reads the linked object.
public struct JobGraph: Sendable {
    public let jobs: [Job]
    /// For each job, the indices of the jobs it waits for.
    public let prerequisites: [[Int]]

    public init(_ jobs: [Job]) throws {
        var producer: [String: Int] = [:]
        for (index, job) in jobs.enumerated() {
            for output in job.outputs { producer[output] = index }
        }
        prerequisites = jobs.enumerated().map { index, job in
            Array(Set((job.inputs + job.presenceInputs).compactMap { producer[$0] }.filter { $0 != index })).sorted()
        }
        self.jobs = jobs
        // Kahn's algorithm: every job must become ready, or two jobs wait for each other.
        var waiting = prerequisites.map(\.count)
        var ready = waiting.indices.filter { waiting[$0] == 0 }
        var dependents = [[Int]](repeating: [], count: jobs.count)
        for (index, prerequisites) in prerequisites.enumerated() { for prerequisite in prerequisites { dependents[prerequisite].append(index) } }
        var started = 0
        while let next = ready.popLast() {
            started += 1
            for dependent in dependents[next] {
                waiting[dependent] -= 1
                if waiting[dependent] == 0 { ready.append(dependent) }
            }
        }
        guard started == jobs.count else { throw ExecutionError.step("internal: the plan's jobs wait for each other's outputs in a cycle") }
    }
}

/// Which jobs of a running plan have finished, and whether they succeeded; a job waits here for its
/// prerequisites and learns whether it may run (it may not when one of them failed or did not run).
actor JobCompletion {
    private var finished: [Int: Bool] = [:]
    private var waiters: [(indices: [Int], continuation: CheckedContinuation<Bool, Never>)] = []

    func waitFor(_ indices: [Int]) async -> Bool {
        if let verdict = verdict(indices) { return verdict }
        return await withCheckedContinuation { waiters.append((indices, $0)) }
    }

    func finish(_ index: Int, succeeded: Bool) {
        finished[index] = succeeded
        var still: [(indices: [Int], continuation: CheckedContinuation<Bool, Never>)] = []
        for waiter in waiters {
            if let verdict = verdict(waiter.indices) { waiter.continuation.resume(returning: verdict) } else { still.append(waiter) }
        }
        waiters = still
    }

    /// true when all finished and succeeded, false as soon as one did not succeed, nil while one runs.
    private func verdict(_ indices: [Int]) -> Bool? {
        var all = true
        for index in indices {
            guard let succeeded = finished[index] else { all = false; continue }
            if !succeeded { return false }
        }
        return all ? true : nil
    }
}
