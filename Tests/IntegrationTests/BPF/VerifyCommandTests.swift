import Foundation
import Testing
@testable import GadgetBuild

/// Issue 11, point 4: `gadgetc verify` loads each program into the running kernel and reports it; a
/// rejection names the C source line (from the object's BTF line info) and the verifier's reason.
@Suite(.enabled(if: Fixtures.isRoot, "needs root to load BPF programs"))
struct VerifyCommandTests {
    static let gadget = Fixtures.testdata.appendingPathComponent("verifier_rejects")

    func run(_ arguments: [String], root: URL) async throws -> ProcessResult {
        try await Fixtures.run([Fixtures.gadgetc, "verify"] + arguments, environment: ["GADGETC_CACHE_DIR": root.appendingPathComponent("cache").path])
    }

    @Test func aRejectedProgramIsShownAtItsSourceLine() async throws {
        let root = try Fixtures.temporaryDirectory("verify")
        defer { try? FileManager.default.removeItem(at: root) }
        let source = try String(contentsOf: Self.gadget.appendingPathComponent("program.bpf.c"), encoding: .utf8)
        let line = 1 + (source.split(separator: "\n", omittingEmptySubsequences: false).firstIndex { $0.contains("[1]") } ?? -1)
        let text = try await run([Self.gadget.path, "-I", Fixtures.bundledHeaders], root: root)
        #expect(!text.succeeded)
        let lines = text.standardOutput.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.hasPrefix("read_in_bounds: accepted, ") && $0.contains("instructions processed") }, "\(text.standardOutput)")
        #expect(lines.contains("\(Self.gadget.path)/program.bpf.c:\(line): the verifier rejected read_past_the_end: invalid access to map value, value_size=8 off=8 size=8; R0 min value is outside of the allowed memory range")
                || lines.contains { $0.hasPrefix("\(Self.gadget.path)/program.bpf.c:\(line): the verifier rejected read_past_the_end: invalid access to map value") },
                "\(text.standardOutput)")
        #expect(lines.contains { $0.contains("(volatile __u64 *)counter)[1]") }, "the statement is shown: \(text.standardOutput)")

        let json = try await run([Self.gadget.path, "-I", Fixtures.bundledHeaders, "--json"], root: root)
        #expect(!json.succeeded)
        let report = try JSONDecoder().decode(VerifierReport.self, from: try #require(
            (try JSONSerialization.jsonObject(with: Data(json.standardOutput.utf8)) as? [String: Any])?["report"]
                .flatMap { try JSONSerialization.data(withJSONObject: $0) }))
        guard case .rejected(_, let tail, let location) = report.programs["read_past_the_end"] else {
            Issue.record("not rejected: \(report)")
            return
        }
        #expect(location?.line == line && !tail.isEmpty)
        guard case .accepted(let processed, let states, _) = report.programs["read_in_bounds"] else {
            Issue.record("not accepted: \(report)")
            return
        }
        #expect((processed ?? 0) > 0 && (states ?? 0) > 0)
    }

    /// An object file directly; and without the privilege to load BPF, the missing capability is named.
    @Test func anObjectAndAnUnprivilegedUser() async throws {
        let root = try Fixtures.temporaryDirectory("verify-object")
        defer { try? FileManager.default.removeItem(at: root) }
        let build = try await Fixtures.run([Fixtures.gadgetc, "build", Fixtures.samples.appendingPathComponent("trace_signal").path, "--arch", "amd64",
                                            "-I", Fixtures.bundledHeaders, "-o", root.appendingPathComponent("objects").path,
                                            "--oci-layout", root.appendingPathComponent("layout").path],
                                           environment: ["GADGETC_CACHE_DIR": root.appendingPathComponent("cache").path])
        try #require(build.succeeded, "\(build.standardError)")
        let object = root.appendingPathComponent("objects/amd64.bpf.o").path
        let accepted = try await run([object], root: root)
        #expect(accepted.succeeded && accepted.standardOutput.contains(": accepted, "), "\(accepted.standardOutput)\(accepted.standardError)")

        // The image the build stored: its amd64 eBPF layer, the same programs.
        let layout = root.appendingPathComponent("layout").path
        let image = try await run(["trace_signal", "--oci-layout", layout, "--json"], root: root)
        try #require(image.succeeded, "\(image.standardError)")
        let document = try #require(try JSONSerialization.jsonObject(with: Data(image.standardOutput.utf8)) as? [String: Any])
        #expect(document["image"] as? String == "ghcr.io/inspektor-gadget/gadget/trace_signal:latest", "\(document)")
        func report(_ result: ProcessResult) throws -> VerifierReport {
            let document = try #require(try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [String: Any], "\(result.standardError)")
            return try JSONDecoder().decode(VerifierReport.self, from: JSONSerialization.data(withJSONObject: try #require(document["report"])))
        }
        let fromImage = try report(image)
        let fromObject = try report(try await run([object, "--json"], root: root))
        #expect(fromImage.allAccepted && Set(fromImage.programs.keys) == Set(fromObject.programs.keys), "\(fromImage) \(fromObject)")
        let noImage = try await run(["no_such_gadget", "--oci-layout", layout], root: root)
        #expect(!noImage.succeeded && noImage.standardError.hasPrefix("error: ") && noImage.standardError.contains("no_such_gadget"), "\(noImage.standardError)")

        _ = try await Fixtures.run(["chmod", "-R", "a+rX", root.path])
        let unprivileged = try await Fixtures.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all",
                                                   Fixtures.gadgetc, "verify", object], environment: ["GADGETC_CACHE_DIR": root.appendingPathComponent("cache").path])
        #expect(!unprivileged.succeeded)
        #expect(unprivileged.standardError.hasPrefix("error: ") && unprivileged.standardError.contains("needs root or CAP_BPF"), "\(unprivileged.standardError)")

        let missing = try await run([root.appendingPathComponent("nothing.bpf.o").path], root: root)
        #expect(!missing.succeeded && missing.standardError.contains("does not exist"))
    }
}
