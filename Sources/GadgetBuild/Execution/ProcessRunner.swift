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
    /// Output beyond this is an error from swift-subprocess; clang's diagnostics stay far below it.
    static let outputLimit = 16 << 20

    public init() {}

    public func run(_ argv: [String], workingDirectory: String? = nil) async throws -> ProcessResult {
        try await run(argv, workingDirectory: workingDirectory, environment: [:])
    }

    public func run(_ argv: [String], workingDirectory: String?, environment: [String: String]) async throws -> ProcessResult {
        precondition(!argv.isEmpty, "an argv needs at least the executable")
        do {
            let result = try await Subprocess.run(
                argv[0].contains("/") ? .path(FilePath(argv[0])) : .name(argv[0]),
                arguments: Arguments(Array(argv.dropFirst())),
                environment: environment.isEmpty ? .inherit : .inherit.updating(Dictionary(uniqueKeysWithValues: environment.map { (Environment.Key(stringLiteral: $0.key), Optional($0.value)) })),
                workingDirectory: workingDirectory.map { FilePath($0) },
                output: .string(limit: Self.outputLimit),
                error: .string(limit: Self.outputLimit)
            )
            let (status, signaled): (Int32, Bool) = switch result.terminationStatus {
            case .exited(let code): (Int32(code), false)
            case .signaled(let signal): (Int32(signal), true)
            }
            return ProcessResult(
                status: status, signaled: signaled,
                standardOutput: result.standardOutput, standardError: result.standardError)
        } catch {
            throw ExecutionError.cannotStart(executable: argv[0], reason: "\(error)")
        }
    }
}
