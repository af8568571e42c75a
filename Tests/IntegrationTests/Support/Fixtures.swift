import Foundation
@testable import GadgetBuild

/// Paths and helpers shared by the integration tests, which run the real clang, libbpf, kernel and
/// the real gadgetc binary.
enum Fixtures {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static let samples = repository.appendingPathComponent("bpf/gadgets")
    static let testdata = repository.appendingPathComponent("bpf/testdata")

    /// gadgetc's own gadget headers, passed with -I so that samples build with them even on a host
    /// that has Inspektor Gadget's headers (which need vmlinux.h) in /usr/include/gadget.
    static let bundledHeaders = repository.appendingPathComponent("bpf/include").path

    static var sampleNames: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: samples.path)) ?? [])
            .filter { FileManager.default.fileExists(atPath: samples.appendingPathComponent("\($0)/program.bpf.c").path) }
            .sorted()
    }

    /// The gadgetc executable built beside the test bundle.
    static var gadgetc: String {
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("gadgetc").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            dir.deleteLastPathComponent()
        }
        return repository.appendingPathComponent(".build/debug/gadgetc").path
    }

    static var isRoot: Bool { geteuid() == 0 }

    /// This host, with a private cache folder and, optionally, variables changed (nil removes one).
    static func host(cache: URL, changing variables: [String: String?] = [:]) -> LiveHost {
        var environment = ProcessInfo.processInfo.environment
        environment["GADGETC_CACHE_DIR"] = cache.path
        for (name, value) in variables { environment[name] = value }
        return LiveHost(environment: environment)
    }

    static func temporaryDirectory(_ label: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("gadgetc-it-\(label)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Runs a command to completion.
    static func run(_ argv: [String], in directory: String? = nil, environment: [String: String] = [:]) async throws -> ProcessResult {
        if environment.isEmpty { return try await ProcessRunner().run(argv, workingDirectory: directory) }
        var env = ProcessInfo.processInfo.environment
        env.merge(environment) { $1 }
        return try await ProcessRunner().run(["/usr/bin/env"] + env.map { "\($0)=\($1)" } + argv, workingDirectory: directory)
    }

    /// Runs a tool to its end from synchronous code: its exit status, standard output and error
    /// (standard error goes through a file, so that neither pipe can fill up and stall the tool).
    static func runBlocking(_ executable: String, _ arguments: [String]) throws -> (status: Int32, output: Data, errors: Data) {
        let errorsFile = FileManager.default.temporaryDirectory.appendingPathComponent("gadgetc-it-stderr-\(UUID().uuidString)")
        FileManager.default.createFile(atPath: errorsFile.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: errorsFile) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = try FileHandle(forWritingTo: errorsFile)
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, data, (try? Data(contentsOf: errorsFile)) ?? Data())
    }

    /// Every file below `url`, relative paths, sorted.
    static func files(under url: URL) -> [String] {
        guard let walker = FileManager.default.enumerator(atPath: url.path) else { return [] }
        return walker.compactMap { $0 as? String }.filter {
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: url.appendingPathComponent($0).path, isDirectory: &isDirectory) && !isDirectory.boolValue
        }.sorted()
    }
}
