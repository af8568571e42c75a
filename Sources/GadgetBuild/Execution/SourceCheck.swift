import Foundation

/// `gadgetc check`: each compile of a plan run through libclang's front end instead of clang — the
/// same flags, every arch the host can compile natively, diagnostics only, nothing written.
public struct SourceCheck: Sendable {
    /// One source checked for one arch.
    public struct Result: Codable, Equatable, Sendable {
        public var arch: Architecture
        public var source: String
        public var diagnostics: [CompilerDiagnostic]
        public var milliseconds: Double
        public var hasErrors: Bool { diagnostics.contains { $0.severity == .error || $0.severity == .fatalError } }
    }

    let frontEnd: LibclangFrontEnd

    public init(frontEnd: LibclangFrontEnd) {
        self.frontEnd = frontEnd
    }

    /// Checks every native compile of `plan` (`BuildDriver.sourcePlan`: vmlinux.h is there); arches the plan builds in the container are returned as skipped.
    public func run(_ plan: BuildPlan) throws -> (results: [Result], skipped: [Architecture]) {
        var results: [Result] = []
        var skipped: [Architecture] = []
        for job in plan.jobs(.compile) {
            guard let arch = job.arch else { continue }
            guard job.toolchain == .native else {
                if !skipped.contains(arch) { skipped.append(arch) }
                continue
            }
            guard let (source, arguments) = Self.frontEndCommand(job, library: frontEnd.library, compilerMajor: plan.compiler?.major) else { continue }
            let start = ContinuousClock.now
            let diagnostics = try frontEnd.diagnostics(source: source, arguments: arguments, key: "\(arch) \(source)")
            results.append(Result(arch: arch, source: source, diagnostics: diagnostics, milliseconds: (ContinuousClock.now - start).milliseconds))
        }
        return (results, skipped)
    }

    /// A compile's command for libclang: the flags without the program name, the `-c SOURCE` action,
    /// the output and the depfile; relative paths made absolute from the job's folder (libclang has no
    /// working folder of its own). The precompiled header stays only when libclang is the clang major
    /// that made it (another refuses it); without it the headers are parsed, and kept as a preamble.
    static func frontEndCommand(_ job: Job, library: Libclang, compilerMajor: Int?) -> (source: String, arguments: [String])? {
        guard var command = frontEndCommand(job, libclangMajor: library.major, compilerMajor: compilerMajor) else { return nil }
        command.arguments += library.builtinHeaderArguments
        return command
    }

    static func frontEndCommand(_ job: Job, libclangMajor: Int?, compilerMajor: Int?) -> (source: String, arguments: [String])? {
        let folder = URL(fileURLWithPath: job.workingDirectory ?? FileManager.default.currentDirectoryPath)
        func absolute(_ path: String) -> String { path.hasPrefix("/") ? path : folder.appendingPathComponent(path).standardizedFileURL.path }
        let keepsPCH = libclangMajor != nil && libclangMajor == compilerMajor
        var source: String?
        var arguments: [String] = []
        var index = 1
        let argv = job.argv
        while index < argv.count {
            let argument = argv[index]
            switch argument {
            case "-c":
                if index + 1 < argv.count { source = absolute(argv[index + 1]) }
                index += 2
                continue
            case "-o", "-MF":
                index += 2
                continue
            case "-MD", "-MMD":
                index += 1
                continue
            case "-include-pch":
                if keepsPCH, index + 1 < argv.count, FileManager.default.fileExists(atPath: argv[index + 1]) {
                    arguments += [argument, argv[index + 1]]
                }
                index += 2
                continue
            case "-fpch-validate-input-files-content":
                if keepsPCH { arguments.append(argument) }
            case "-I":
                if index + 1 < argv.count { arguments += ["-I", absolute(argv[index + 1])] }
                index += 2
                continue
            default:
                if argument.hasPrefix("-I"), argument.count > 2 {
                    arguments.append("-I" + absolute(String(argument.dropFirst(2))))
                } else {
                    arguments.append(argument)
                }
            }
            index += 1
        }
        guard let source else { return nil }
        return (source, arguments)
    }
}
