import Foundation
import Testing
@testable import GadgetBuild

/// Issue 14, point 3: a script can tell which schema and which gadgetc made a `--json` document.
@Suite struct JSONOutputTests {
    @Test func objectsAndArraysCarryTheSchemaAndTheVersion() async throws {
        let root = try Fixtures.temporaryDirectory("json")
        defer { try? FileManager.default.removeItem(at: root) }
        let environment = ["GADGETC_CACHE_DIR": root.appendingPathComponent("cache").path]
        let stats = try await Fixtures.run([Fixtures.gadgetc, "cache", "stats", "--json"], environment: environment)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(stats.standardOutput.utf8)) as? [String: Any])
        #expect(object["schemaVersion"] as? Int == 1 && object["gadgetcVersion"] as? String == GadgetcVersion.string)

        let build = try await Fixtures.run([Fixtures.gadgetc, "build", "--json", "--arch", "amd64", "-I", Fixtures.bundledHeaders,
                                            "--oci-layout", root.appendingPathComponent("layout").path,
                                            Fixtures.samples.appendingPathComponent("trace_exec").path,
                                            Fixtures.samples.appendingPathComponent("trace_signal").path], environment: environment)
        try #require(build.succeeded, "\(build.standardError)")
        let array = try #require(try JSONSerialization.jsonObject(with: Data(build.standardOutput.utf8)) as? [[String: Any]])
        #expect(array.count == 2 && array.allSatisfy { $0["schemaVersion"] as? Int == 1 && $0["gadgetcVersion"] as? String == GadgetcVersion.string })
        #expect(array.allSatisfy { ($0["outcome"] as? [String: Any])?["digest"] is String })
    }

    @Test func stepsAreTimedAndVerboseShowsEachCommand() async throws {
        let root = try Fixtures.temporaryDirectory("steps")
        defer { try? FileManager.default.removeItem(at: root) }
        let environment = ["GADGETC_CACHE_DIR": root.appendingPathComponent("cache").path]
        let gadget = Fixtures.samples.appendingPathComponent("trace_signal").path
        let verbose = try await Fixtures.run([Fixtures.gadgetc, "build", "-v", gadget, "--arch", "amd64", "-I", Fixtures.bundledHeaders,
                                              "--oci-layout", root.appendingPathComponent("layout").path], environment: environment)
        #expect(verbose.succeeded && verbose.standardError.contains("+ (cd ") && verbose.standardError.contains("-c program.bpf.c"), "\(verbose.standardError)")
        // -vv: also every other command, with its exit status and time (with a fresh cache the probe asks clang its targets).
        let veryVerbose = try await Fixtures.run([Fixtures.gadgetc, "build", "-vv", gadget, "--arch", "amd64", "-I", Fixtures.bundledHeaders,
                                                  "--oci-layout", root.appendingPathComponent("layout").path],
                                                 environment: ["GADGETC_CACHE_DIR": root.appendingPathComponent("fresh-cache").path])
        #expect(veryVerbose.succeeded && veryVerbose.standardError.contains("-c program.bpf.c"), "\(veryVerbose.standardError)")
        #expect(veryVerbose.standardError.split(separator: "\n").contains { !$0.contains(" -c ") && $0.contains(" (exit 0, ") && $0.hasSuffix(" ms)") },
                "\(veryVerbose.standardError)")
        #expect(!verbose.standardError.contains("(exit 0, "), "-v alone shows the steps' commands only")
        let json = try await Fixtures.run([Fixtures.gadgetc, "build", "--json", gadget, "--arch", "amd64", "-I", Fixtures.bundledHeaders, "-t", "steps:2",
                                           "--oci-layout", root.appendingPathComponent("layout").path], environment: environment)
        let outcome = try JSONDecoder().decode(BuildOutcome.self, from: Data(json.standardOutput.utf8))
        let steps = try #require(outcome.steps)
        #expect(steps.contains { $0.kind == .compile && $0.cached } && steps.contains { $0.kind == .check && $0.milliseconds != nil }, "\(steps)")
    }
}
