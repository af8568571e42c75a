import Foundation
import Testing
@testable import GadgetBuild

/// Bad input through the real gadgetc binary: one "error:" line, a non-zero exit, no crash, and no
/// image or blob written.
@Suite struct BadInputTests {
    struct Case: CustomStringConvertible, Sendable {
        var description: String
        var arguments: [String]
        /// Text the error line must contain.
        var expected: String
        /// Text that must appear verbatim elsewhere on stderr (clang's own diagnostics).
        var diagnostics: String? = nil
    }

    static let brokenYAML: URL = {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("gadgetc-broken-yaml-\(getpid())")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try? "SEC(\"socket\") int f(void *c) { return 0; }\n".write(to: dir.appendingPathComponent("program.bpf.c"), atomically: true, encoding: .utf8)
        try? "name: broken\ndatasources: [unclosed\n".write(to: dir.appendingPathComponent("gadget.yaml"), atomically: true, encoding: .utf8)
        return dir
    }()

    static let emptyFolder: URL = {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("gadgetc-empty-\(getpid())")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }()

    static let cases: [Case] = [
        Case(description: "missing folder", arguments: ["/nonexistent/gadget"], expected: "does not exist"),
        Case(description: "not a gadget", arguments: [emptyFolder.path], expected: "expected program.bpf.c"),
        Case(description: "broken YAML", arguments: [brokenYAML.path], expected: "gadget.yaml is not valid YAML: line"),
        Case(description: "C syntax error", arguments: [Fixtures.testdata.appendingPathComponent("syntax_error").path],
             expected: "compiling program.bpf.c for amd64 failed", diagnostics: "program.bpf.c:12:25: error: expected ';' after return statement"),
        Case(description: "unknown build.yaml key", arguments: [Fixtures.testdata.appendingPathComponent("unknown_key").path],
             expected: "'cflags' is not supported"),
        Case(description: "path escaping the folder", arguments: [Fixtures.testdata.appendingPathComponent("escaping_path").path],
             expected: "points outside the gadget folder"),
        Case(description: "no vmlinux.h for arm64", arguments: [Fixtures.testdata.appendingPathComponent("needs_vmlinux").path, "--arch", "arm64"],
             expected: "there is none for arm64"),
        Case(description: "unknown arch", arguments: [Fixtures.samples.appendingPathComponent("trace_exec").path, "--arch", "riscv"],
             expected: "unknown architecture 'riscv'"),
        Case(description: "container engine socket missing", arguments: [Fixtures.samples.appendingPathComponent("trace_exec").path, "--toolchain", "container",
                                                                         "--container-host", "unix:///nonexistent/gadgetc-test.sock"],
             expected: "/nonexistent/gadgetc-test.sock"),
        Case(description: "unwritable -o folder", arguments: [Fixtures.samples.appendingPathComponent("trace_signal").path, "-o", "/proc/gadgetc-test-output"],
             expected: "give -o a writable folder"),
        Case(description: "bad tag", arguments: [Fixtures.samples.appendingPathComponent("trace_exec").path, "-t", "Bad Name!"],
             expected: "reference"),
    ]

    @Test(arguments: cases)
    func failsCleanly(_ testCase: Case) async throws {
        let layout = try Fixtures.temporaryDirectory("bad")
        defer { try? FileManager.default.removeItem(at: layout) }
        let result = try await Fixtures.run([Fixtures.gadgetc, "build"] + testCase.arguments + ["--oci-layout", layout.path])
        #expect(result.status != 0 && !result.signaled)
        #expect(result.standardOutput.isEmpty)
        let errorLines = result.standardError.split(separator: "\n").filter { $0.hasPrefix("error:") || $0.hasPrefix("Error:") }
        #expect(errorLines.count == 1, "stderr: \(result.standardError)")
        #expect(errorLines.first?.contains(testCase.expected) == true, "stderr: \(result.standardError)")
        #expect(!result.standardError.contains("Fatal error") && !result.standardError.contains("Stack dump"))
        if let diagnostics = testCase.diagnostics { #expect(result.standardError.contains(diagnostics)) }
        // Nothing was packaged: no blob, no index.
        #expect(Fixtures.files(under: layout).filter { $0.hasPrefix("blobs/") }.isEmpty, "left: \(Fixtures.files(under: layout))")
    }

    @Test func doctorJSONReportsNativeAmd64() async throws {
        let result = try await Fixtures.run([Fixtures.gadgetc, "doctor", "--json"])
        #expect(result.succeeded, "\(result.standardError)")
        let report = try JSONDecoder().decode(ProbeReport.self, from: Data(result.standardOutput.utf8))
        let amd64 = try #require(report.decision(for: .amd64))
        #expect(amd64.toolchain == .native)
        #expect(!amd64.reasons.isEmpty)
        #expect(report.chosenCompiler?.hasBPFTarget == true)
    }
}
