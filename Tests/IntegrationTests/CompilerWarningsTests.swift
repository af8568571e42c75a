import Foundation
import Testing
@testable import GadgetBuild

/// Issue 14: clang's warnings are shown on every build that produced the object, also when it comes from
/// the cache or the build is up to date (ig fixed the same for its users: warnings were only shown on failure).
@Suite struct CompilerWarningsTests {
    @Test func warningsAreShownAgainFromTheCacheAndWhenUpToDate() async throws {
        let root = try Fixtures.temporaryDirectory("warnings")
        defer { try? FileManager.default.removeItem(at: root) }
        let gadget = root.appendingPathComponent("warned")
        try FileManager.default.copyItem(at: Fixtures.samples.appendingPathComponent("trace_signal"), to: gadget)
        let source = gadget.appendingPathComponent("program.bpf.c")
        let edited = try String(contentsOf: source, encoding: .utf8) + "\nstatic __attribute__((unused)) int gadgetc_warned(void)\n{\n\tint never_used;\n\treturn 0;\n}\n"
        try edited.write(to: source, atomically: true, encoding: .utf8)
        func build(_ tag: String, json: Bool = false) async throws -> ProcessResult {
            try await Fixtures.run([Fixtures.gadgetc, "build", gadget.path, "--arch", "amd64", "-I", Fixtures.bundledHeaders, "-t", tag,
                                    "--oci-layout", root.appendingPathComponent("layout").path] + (json ? ["--json"] : []),
                                   environment: ["GADGETC_CACHE_DIR": root.appendingPathComponent("cache").path])
        }
        let warning = "warning: unused variable 'never_used'"
        let first = try await build("warned:1")
        #expect(first.succeeded && first.standardError.contains(warning), "\(first.standardError)")
        // Another tag: a new build whose compile comes from the cache.
        let cached = try await build("warned:2")
        #expect(cached.standardError.contains("(cached)") && cached.standardError.contains(warning), "\(cached.standardError)")
        // The same request again: up to date, and the warning still shown.
        let upToDate = try await build("warned:2")
        #expect(upToDate.standardError.contains("up to date") && upToDate.standardError.contains(warning), "\(upToDate.standardError)")
        let json = try await build("warned:3", json: true)
        let outcome = try JSONDecoder().decode(BuildOutcome.self, from: Data(json.standardOutput.utf8))
        #expect(outcome.compilerWarnings?.contains { $0.contains(warning) } == true)
        // The same warning as a structured diagnostic: where, how bad, what, and the option behind it.
        let unused = try #require(outcome.diagnostics?.first { $0.message == "unused variable 'never_used'" }, "\(String(describing: outcome.diagnostics))")
        #expect(unused.severity == .warning && unused.option == "-Wunused-variable" && unused.file?.hasSuffix("program.bpf.c") == true)
        let line = edited.split(separator: "\n", omittingEmptySubsequences: false).firstIndex { $0.contains("int never_used;") }.map { $0 + 1 }
        #expect(unused.line == line && unused.column == 6, "\(unused)")
    }

    /// A failed build's --json document lists clang's errors one by one (file, line, column, severity, message).
    @Test func aFailedBuildListsItsErrorsInJSON() async throws {
        let root = try Fixtures.temporaryDirectory("errors-json")
        defer { try? FileManager.default.removeItem(at: root) }
        let result = try await Fixtures.run([Fixtures.gadgetc, "build", "--json", Fixtures.testdata.appendingPathComponent("syntax_error").path,
                                             "--arch", "amd64", "-I", Fixtures.bundledHeaders, "--oci-layout", root.appendingPathComponent("layout").path],
                                            environment: ["GADGETC_CACHE_DIR": root.appendingPathComponent("cache").path])
        #expect(!result.succeeded)
        let document = try #require(try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [String: Any], "\(result.standardOutput)")
        #expect(document["error"] is String && document["schemaVersion"] as? Int == 1)
        let diagnostics = try #require(document["diagnostics"] as? [[String: Any]], "\(document)")
        let error = try #require(diagnostics.first { $0["severity"] as? String == "error" }, "\(diagnostics)")
        #expect((error["file"] as? String)?.hasSuffix("program.bpf.c") == true && error["line"] as? Int == 12, "\(error)")
        #expect((error["message"] as? String)?.contains("expected ';'") == true, "\(error)")
    }
}
