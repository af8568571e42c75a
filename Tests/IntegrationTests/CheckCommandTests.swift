import Foundation
import Testing
@testable import GadgetBuild

/// Issue 11, point 1: `gadgetc check` parses a gadget with the build's command line through the real
/// libclang (loaded at run time) and reports clang's diagnostics with their fix-its; nothing is written.
@Suite(.enabled(if: Libclang.find(listDirectory: { (try? FileManager.default.contentsOfDirectory(atPath: $0)) ?? [] }) != nil,
                "no libclang on this host: apt-get install libclang1-16"))
struct CheckCommandTests {
    func check(_ arguments: [String], environment: [String: String] = [:], cache: URL) async throws -> ProcessResult {
        try await Fixtures.run([Fixtures.gadgetc, "check"] + arguments + ["-I", Fixtures.bundledHeaders, "--arch", "amd64"],
                               environment: ["GADGETC_CACHE_DIR": cache.path].merging(environment) { $1 })
    }

    @Test func aSyntaxErrorComesWithItsFixIt() async throws {
        let root = try Fixtures.temporaryDirectory("check")
        defer { try? FileManager.default.removeItem(at: root) }
        let gadget = root.appendingPathComponent("syntax_error")
        try FileManager.default.copyItem(at: Fixtures.testdata.appendingPathComponent("syntax_error"), to: gadget)
        let before = try FileManager.default.contentsOfDirectory(atPath: gadget.path).sorted()

        let json = try await check([gadget.path, "--json"], cache: root.appendingPathComponent("cache"))
        #expect(!json.succeeded)
        let document = try #require(try JSONSerialization.jsonObject(with: Data(json.standardOutput.utf8)) as? [String: Any], "\(json.standardError)")
        let results = try #require(document["results"] as? [[String: Any]])
        let diagnostics = try JSONDecoder().decode([CompilerDiagnostic].self, from: JSONSerialization.data(withJSONObject: results.first?["diagnostics"] ?? []))
        let error = try #require(diagnostics.first { $0.severity == .error }, "\(diagnostics)")
        #expect(error.file?.hasSuffix("syntax_error/program.bpf.c") == true && error.line == 12 && error.column == 25, "\(error)")
        #expect(error.message == "expected ';' after return statement" && error.category == "Parse Issue", "\(error)")
        #expect(error.fixIts?.first?.replacement == ";" && error.fixIts?.first?.range.startLine == 12, "\(String(describing: error.fixIts))")

        let text = try await check([gadget.path], cache: root.appendingPathComponent("cache"))
        #expect(!text.succeeded && text.standardError.contains(":12:25: error: expected ';' after return statement")
                && text.standardError.contains("fix-it: insert ';' at 12:25"), "\(text.standardError)")
        // Diagnostics only: the folder holds what it held.
        #expect(try FileManager.default.contentsOfDirectory(atPath: gadget.path).sorted() == before)
    }

    @Test func aCleanSampleHasNoErrorAndAMissingLibraryIsNamed() async throws {
        let root = try Fixtures.temporaryDirectory("check-clean")
        defer { try? FileManager.default.removeItem(at: root) }
        let sample = Fixtures.samples.appendingPathComponent("trace_exec").path
        let clean = try await check([sample], cache: root.appendingPathComponent("cache"))
        #expect(clean.succeeded && clean.standardError.contains("trace_exec: checked amd64 in ") && clean.standardError.contains(": 0 errors"),
                "\(clean.standardError)")
        // Every sample (most include <stdbool.h>, clang's own header), with each libclang installed here:
        // Debian's libclang-16 does not find those headers by itself.
        for library in [nil, "/usr/lib/x86_64-linux-gnu/libclang-16.so.16.0.6"] where library.map(FileManager.default.fileExists) ?? true {
            let all = try await check([Fixtures.samples.path], environment: library.map { ["GADGETC_LIBCLANG": $0] } ?? [:], cache: root.appendingPathComponent("cache"))
            let summaries = all.standardError.split(separator: "\n").filter { $0.contains(": checked amd64 in ") }
            #expect(all.succeeded && summaries.count == Fixtures.sampleNames.count && summaries.allSatisfy { $0.hasSuffix(": 0 errors, 0 warnings") },
                    "\(library ?? "default"): \(all.standardError)")
        }
        let missing = try await check([sample], environment: ["GADGETC_LIBCLANG": root.appendingPathComponent("libclang.so").path],
                                      cache: root.appendingPathComponent("cache"))
        #expect(!missing.succeeded && missing.standardError.hasPrefix("error: cannot load libclang from ")
                && missing.standardError.contains("set GADGETC_LIBCLANG"), "\(missing.standardError)")
    }
}
