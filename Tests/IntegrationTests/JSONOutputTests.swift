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
}
