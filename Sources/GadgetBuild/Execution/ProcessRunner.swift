import Foundation
import Subprocess
#if canImport(System)
import System
#else
import SystemPackage
#endif

/// The outcome of one finished subprocess. A non-zero status is a normal result, not an error.
public struct ProcessResult: Sendable, Equatable {
    public var status: Int32
    public var signaled: Bool
    public var standardOutput: String
    public var standardError: String
    public var succeeded: Bool { status == 0 && !signaled }
}

/// Starts processes with an argument array (a bare name is looked up on PATH) (posix_spawn through swift-subprocess, no shell, no
/// polling wait) and collects their output.
public protocol CommandRunning: Sendable {
    func run(_ argv: [String], workingDirectory: String?) async throws -> ProcessResult
    /// The same, with `environment` added to the inherited one.
    func run(_ argv: [String], workingDirectory: String?, environment: [String: String]) async throws -> ProcessResult
}

extension CommandRunning {
    /// Runners that pass no environment (the builder container's) run the command as it is.
    public func run(_ argv: [String], workingDirectory: String?, environment: [String: String]) async throws -> ProcessResult {
        try await run(argv, workingDirectory: workingDirectory)
    }
}

public struct ProcessRunner: CommandRunning {
    /// Output kept per stream; the rest is read and dropped (so the process never blocks on a full
    /// pipe), and a line at the end says how much was left out. clang's diagnostics stay far below it.
    static let outputLimit = 16 << 20
    /// How long one command may run before it is killed: a clang that hangs, a FIFO it reads, must not
    /// stop a build forever. `GADGETC_TIMEOUT` (seconds) overrides it.
    public static let defaultTimeout: Duration = .seconds(600)

    /// The bound on each command; nil waits as long as it takes.
    public var timeout: Duration?

    public init(timeout: Duration? = ProcessRunner.timeout(environment: ProcessInfo.processInfo.environment)) {
        self.timeout = timeout
    }

    /// `GADGETC_TIMEOUT` in seconds (> 0), else the default.
    public static func timeout(environment: [String: String], default fallback: Duration = defaultTimeout) -> Duration {
        guard let text = environment["GADGETC_TIMEOUT"], let seconds = Double(text), seconds > 0, seconds < 1e9 else { return fallback }
        return .milliseconds(Int64(seconds * 1000))
    }

    public func run(_ argv: [String], workingDirectory: String? = nil) async throws -> ProcessResult {
        try await run(argv, workingDirectory: workingDirectory, environment: [:])
    }

    public func run(_ argv: [String], workingDirectory: String?, environment: [String: String]) async throws -> ProcessResult {
        precondition(!argv.isEmpty, "an argv needs at least the executable")
        let started = ContinuousClock.now
        let result = try await runBounded(argv, workingDirectory: workingDirectory, environment: environment)
        BuildLog.logger.trace("\(argv.joined(separator: " ")) (\(result.signaled ? "signal" : "exit") \(result.status), \(Int((ContinuousClock.now - started).milliseconds)) ms)")
        return result
    }

    private func runBounded(_ argv: [String], workingDirectory: String?, environment: [String: String]) async throws -> ProcessResult {
        guard let timeout else { return try await spawn(argv, workingDirectory: workingDirectory, environment: environment) }
        // The command races a timer; cancelling the loser makes swift-subprocess kill the command.
        let result = try await withThrowingTaskGroup(of: ProcessResult?.self) { group in
            group.addTask { try await spawn(argv, workingDirectory: workingDirectory, environment: environment) }
            group.addTask {
                try await Task.sleep(for: timeout)
                return nil
            }
            defer { group.cancelAll() }
            return try await group.next() ?? nil
        }
        guard let result else { throw ExecutionError.timedOut(executable: argv[0], after: timeout) }
        return result
    }

    private func spawn(_ argv: [String], workingDirectory: String?, environment: [String: String]) async throws -> ProcessResult {
        do {
            let limit = Self.outputLimit
            let result = try await Subprocess.run(
                argv[0].contains("/") ? .path(FilePath(argv[0])) : .name(argv[0]),
                arguments: Arguments(Array(argv.dropFirst())),
                environment: environment.isEmpty ? .inherit : .inherit.updating(Dictionary(uniqueKeysWithValues: environment.map { (Environment.Key(stringLiteral: $0.key), Optional($0.value)) })),
                workingDirectory: workingDirectory.map { FilePath($0) },
                input: .none,
                output: .sequence,
                error: .sequence
            ) { execution in
                async let output = BoundedOutput.collect(execution.standardOutput, limit: limit)
                let error = try await BoundedOutput.collect(execution.standardError, limit: limit)
                return try await (output, error)
            }
            let (status, signaled): (Int32, Bool) = switch result.terminationStatus {
            case .exited(let code): (Int32(code), false)
            case .signaled(let signal): (Int32(signal), true)
            }
            return ProcessResult(
                status: status, signaled: signaled,
                standardOutput: result.closureResult.0.text, standardError: result.closureResult.1.text)
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw ExecutionError.cannotStart(executable: argv[0], reason: "\(error)")
        }
    }
}

/// A stream's first `limit` bytes, and how many more there were.
struct BoundedOutput: Sendable {
    var kept: [UInt8] = []
    var dropped = 0

    static func collect(_ stream: SubprocessOutputSequence, limit: Int) async throws -> BoundedOutput {
        var output = BoundedOutput()
        for try await buffer in stream {
            buffer.withUnsafeBytes { bytes in output.append(bytes, limit: limit) }
        }
        return output
    }

    mutating func append(_ bytes: UnsafeRawBufferPointer, limit: Int) {
        let room = max(0, limit - kept.count)
        kept.append(contentsOf: bytes.prefix(room))
        dropped += bytes.count - min(room, bytes.count)
    }

    /// The kept bytes as text, with a last line saying the output was truncated when it was.
    var text: String {
        let head = String(decoding: kept, as: UTF8.self)
        guard dropped > 0 else { return head }
        return head + (head.hasSuffix("\n") ? "" : "\n")
            + "[output truncated: the first \(kept.count >> 20) MiB are shown, \(dropped) more bytes were left out]\n"
    }
}
