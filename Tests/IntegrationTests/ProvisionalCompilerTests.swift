import Foundation
import Testing
@testable import GadgetBuild

/// A first build takes the clang its name promises and identifies it beside the compiles; these check
/// that what it caches is keyed by the identified compiler and that a misleading name is caught.
@Suite struct ProvisionalCompilerTests {
    static let clang16 = "/usr/bin/clang-16"

    func build(_ box: CacheTests.Sandbox, path: String? = nil) async throws -> (RecordingObserver, BuildOutcome) {
        var changes: [String: String?] = ["GADGETC_CLANG": nil]
        if let path { changes["PATH"] = path }
        let observer = RecordingObserver()
        let outcome = try await BuildDriver(host: Fixtures.host(cache: box.cache, changing: changes), observer: observer)
            .build(BuildRequest(gadgetFolder: box.gadget.path, architectures: [.amd64], ociLayout: box.layout.path))
        return (observer, outcome)
    }

    @Test func firstBuildCachesUnderTheIdentifiedCompiler() async throws {
        let box = try CacheTests.Sandbox()
        defer { try? FileManager.default.removeItem(at: box.root) }
        let compilers = box.cache.appendingPathComponent("probe/compilers.json")
        #expect(!FileManager.default.fileExists(atPath: compilers.path))
        let (first, outcome) = try await build(box)
        #expect(first.compiled.count == 1)
        // The outcome names the compiler as identified, not by its name.
        let compiler = try #require(outcome.compiler)
        #expect(!compiler.isProvisional && compiler.versionLine.contains("clang version"))
        #expect(FileManager.default.fileExists(atPath: compilers.path), "the identification is remembered")
        // The same bytes rewritten: the build runs (the file moved), and the compile's entry, stored under
        // the identified compiler's identity, is what the now non-provisional build finds.
        let original = try String(contentsOf: box.gadget.appendingPathComponent("local.h"), encoding: .utf8)
        try box.write("local.h", original)
        let rewritten = try await build(box).0
        #expect(rewritten.compiled.isEmpty && rewritten.cached.count == 1)
    }

    /// A sandbox with a `bin` folder to put first on PATH, or nil (with a note) without clang 16.
    func sandboxWithBin() throws -> (CacheTests.Sandbox, URL)? {
        guard FileManager.default.isExecutableFile(atPath: Self.clang16) else {
            print("NOTE: skipped: needs \(Self.clang16)")
            return nil
        }
        let box = try CacheTests.Sandbox()
        let bin = box.root.appendingPathComponent("bin")
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        return (box, bin)
    }

    @Test func misleadingNameIsCaughtAndPlannedAgain() async throws {
        guard let (box, bin) = try sandboxWithBin() else { return }
        defer { try? FileManager.default.removeItem(at: box.root) }
        // A clang 16 whose name says 18, alone on PATH (the other clang-16 paths share its real path).
        try FileManager.default.createSymbolicLink(atPath: bin.appendingPathComponent("clang-18").path, withDestinationPath: Self.clang16)
        let (observer, outcome) = try await build(box, path: "\(bin.path):/usr/bin:/bin")
        #expect(observer.notes.contains { $0.contains("clang-18 is clang 16") && $0.contains("planning again") })
        let compiler = try #require(outcome.compiler)
        #expect(compiler.major == 16 && compiler.path.hasSuffix("clang-18") && !compiler.isProvisional)
        // Next time the probe knows it: no second guess.
        let (again, _) = try await build(box, path: "\(bin.path):/usr/bin:/bin")
        #expect(!again.notes.contains { $0.contains("planning again") })
    }

    @Test func aNameThatIsNoClangIsPassedOverWithoutItsErrors() async throws {
        guard let (box, bin) = try sandboxWithBin() else { return }
        defer { try? FileManager.default.removeItem(at: box.root) }
        // Nearest the builder's 18 by name, but not a clang at all: every run fails.
        let fake = bin.appendingPathComponent("clang-17")
        try "#!/bin/sh\necho 'error: not a clang' >&2\nexit 1\n".write(to: fake, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: fake.path)
        let (observer, outcome) = try await build(box, path: "\(bin.path):/usr/bin:/bin")
        #expect(observer.notes.contains { $0.contains("clang-17 is not a clang") && $0.contains("planning again") })
        #expect(!observer.diagnosticsShown.contains { $0.contains("not a clang") }, "the wrong compiler's messages are not shown")
        #expect(outcome.compiler?.path == Self.clang16)
    }
}
