import Foundation
import Testing
@testable import GadgetBuild

/// `gadgetc watch` as a user runs it: rebuilds on an edit, survives a broken edit, stops on Ctrl-C.
@Suite struct WatchTests {
    @Test func rebuildsSurvivesErrorsAndStopsOnInterrupt() async throws {
        let root = try Fixtures.temporaryDirectory("watch")
        defer { try? FileManager.default.removeItem(at: root) }
        let gadget = root.appendingPathComponent("watched")
        try FileManager.default.copyItem(at: Fixtures.samples.appendingPathComponent("trace_signal"), to: gadget)
        let source = gadget.appendingPathComponent("program.bpf.c")
        let original = try String(contentsOf: source, encoding: .utf8)

        let (process, lines, errorLines) = try Self.startWatch(gadget, root: root)

        #expect(await lines.wait { $0.count >= 1 }, "first build")
        try (original + "\nint broken(\n").write(to: source, atomically: true, encoding: .utf8)
        #expect(await errorLines.wait { $0.contains { $0.hasPrefix("error: compiling program.bpf.c") } }, "broken edit reported")
        try (original + "\n// fixed\n").write(to: source, atomically: true, encoding: .utf8)
        #expect(await lines.wait { $0.count >= 2 }, "rebuilt after the fix")
        #expect(lines.snapshot.allSatisfy { $0.hasPrefix("Successfully built ghcr.io/inspektor-gadget/gadget/watched:latest@sha256:") })

        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        #expect(process.terminationReason == .exit && process.terminationStatus == 0)
        // The process has ended; its last line may still be on its way through the pipe to the collector.
        #expect(await errorLines.wait { $0.contains("stopped watching") }, "\(errorLines.snapshot)")
    }
}

extension WatchTests {
    /// `gadgetc watch GADGET` for amd64 into ROOT/layout with a cache in ROOT, and its output lines as they come.
    static func startWatch(_ gadget: URL, root: URL, environment: [String: String] = [:]) throws -> (Process, LineCollector, LineCollector) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Fixtures.gadgetc)
        process.arguments = ["watch", gadget.path, "-I", Fixtures.bundledHeaders, "--arch", "amd64", "--oci-layout", root.appendingPathComponent("layout").path]
        process.environment = ProcessInfo.processInfo.environment.merging(["GADGETC_CACHE_DIR": root.appendingPathComponent("cache").path]) { $1 }
            .merging(environment) { $1 }
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        return (process, LineCollector(output.fileHandleForReading), LineCollector(errors.fileHandleForReading))
    }
}

/// F20 of the reliability review: a gadget folder deleted and made again is watched again.
@Suite struct WatchRecreatedFolderTests {
    @Test func aRecreatedFolderIsWatchedAgain() async throws {
        let root = try Fixtures.temporaryDirectory("watch-recreate")
        defer { try? FileManager.default.removeItem(at: root) }
        let gadget = root.appendingPathComponent("watched")
        let copy = root.appendingPathComponent("copy")
        try FileManager.default.copyItem(at: Fixtures.samples.appendingPathComponent("trace_signal"), to: gadget)
        try FileManager.default.copyItem(at: gadget, to: copy)

        let (process, lines, errorLines) = try WatchTests.startWatch(gadget, root: root)
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        #expect(await lines.wait { $0.count >= 1 }, "first build")

        // rm -rf DIR; cp -r copy DIR — the build in between fails or succeeds, and watching goes on.
        try FileManager.default.removeItem(at: gadget)
        try await Task.sleep(for: .milliseconds(300))
        try FileManager.default.copyItem(at: copy, to: gadget)
        try await Task.sleep(for: .milliseconds(1500))
        let before = lines.snapshot.count
        let source = gadget.appendingPathComponent("program.bpf.c")
        try (try String(contentsOf: source, encoding: .utf8) + "\n// after the folder came back\n").write(to: source, atomically: true, encoding: .utf8)
        #expect(await lines.wait { $0.count > before }, "an edit in the recreated folder rebuilt it: \(errorLines.snapshot)")
        try (try String(contentsOf: gadget.appendingPathComponent("gadget.yaml"), encoding: .utf8) + "\n# edited\n")
            .write(to: gadget.appendingPathComponent("gadget.yaml"), atomically: true, encoding: .utf8)
        let afterSource = lines.snapshot.count
        #expect(await lines.wait { $0.count > afterSource }, "a gadget.yaml edit rebuilt it too")

        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
    }
}

/// Collects a pipe's lines as they arrive.
final class LineCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    private var partial = ""

    init(_ handle: FileHandle) {
        handle.readabilityHandler = { [weak self] handle in
            let data = handle.availableData
            guard let self, !data.isEmpty else { return }
            self.lock.withLock {
                self.partial += String(decoding: data, as: UTF8.self)
                while let newline = self.partial.firstIndex(of: "\n") {
                    self.lines.append(String(self.partial[..<newline]))
                    self.partial = String(self.partial[self.partial.index(after: newline)...])
                }
            }
        }
    }

    var snapshot: [String] { lock.withLock { lines } }

    /// Waits up to 30 s for `condition` to hold.
    func wait(_ condition: ([String]) -> Bool) async -> Bool {
        for _ in 0..<300 {
            if condition(snapshot) { return true }
            try? await Task.sleep(for: .milliseconds(100))
        }
        return false
    }
}

/// Issue 11: watch hears libclang before the compile ends — a broken edit's diagnostics, with clang's
/// fix-it, come first; the compile's copy of the same messages is not printed again; then the result.
@Suite(.enabled(if: Libclang.find(listDirectory: { (try? FileManager.default.contentsOfDirectory(atPath: $0)) ?? [] }) != nil,
                "no libclang on this host: apt-get install libclang1-16"))
struct WatchFrontEndTests {
    @Test func libclangsDiagnosticsComeFirstAndOnce() async throws {
        let root = try Fixtures.temporaryDirectory("watch-libclang")
        defer { try? FileManager.default.removeItem(at: root) }
        let gadget = root.appendingPathComponent("watched")
        try FileManager.default.copyItem(at: Fixtures.samples.appendingPathComponent("trace_signal"), to: gadget)
        let source = gadget.appendingPathComponent("program.bpf.c")
        let original = try String(contentsOf: source, encoding: .utf8)

        let (process, lines, errorLines) = try WatchTests.startWatch(gadget, root: root)
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        #expect(await lines.wait { $0.count >= 1 }, "first build: \(errorLines.snapshot)")
        // A missing ';' at the end of the file: clang offers to insert it.
        try (original + "\nint broken(void) { return 0 }\n").write(to: source, atomically: true, encoding: .utf8)
        #expect(await errorLines.wait { $0.contains { $0.hasPrefix("error: compiling program.bpf.c") } }, "\(errorLines.snapshot)")
        let said = errorLines.snapshot
        let summary = try #require(said.firstIndex { $0.hasPrefix("libclang: 1 error, 0 warnings in ") && $0.hasSuffix("ms; building") }, "\(said)")
        let failed = try #require(said.firstIndex { $0.hasPrefix("error: compiling program.bpf.c") })
        #expect(summary < failed, "\(said)")
        let messages = said.filter { $0.contains("program.bpf.c:") && $0.contains(": error: expected ';'") }
        #expect(messages.count == 1, "the message once: \(said)")
        #expect(said.contains { $0.hasPrefix("  fix-it: insert ';' at ") }, "\(said)")

        try (original + "\n// fixed\n").write(to: source, atomically: true, encoding: .utf8)
        #expect(await lines.wait { $0.count >= 2 }, "rebuilt after the fix: \(errorLines.snapshot)")
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
    }

    /// Without libclang, watch says so once and rebuilds as before, the compile's messages shown.
    @Test func withoutLibclangOneNoteAndTheCompilersMessages() async throws {
        let root = try Fixtures.temporaryDirectory("watch-no-libclang")
        defer { try? FileManager.default.removeItem(at: root) }
        let gadget = root.appendingPathComponent("watched")
        try FileManager.default.copyItem(at: Fixtures.samples.appendingPathComponent("trace_signal"), to: gadget)
        let source = gadget.appendingPathComponent("program.bpf.c")
        let original = try String(contentsOf: source, encoding: .utf8)
        let (process, lines, errorLines) = try WatchTests.startWatch(gadget, root: root,
                                                                     environment: ["GADGETC_LIBCLANG": root.appendingPathComponent("libclang.so").path])
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        #expect(await lines.wait { $0.count >= 1 }, "first build: \(errorLines.snapshot)")
        try (original + "\nint broken(void) { return 0 }\n").write(to: source, atomically: true, encoding: .utf8)
        #expect(await errorLines.wait { $0.contains { $0.hasPrefix("error: compiling program.bpf.c") } }, "\(errorLines.snapshot)")
        try (original + "\n// fixed\n").write(to: source, atomically: true, encoding: .utf8)
        #expect(await lines.wait { $0.count >= 2 }, "rebuilt after the fix: \(errorLines.snapshot)")
        let said = errorLines.snapshot
        #expect(said.filter { $0.hasPrefix("note: cannot load libclang from ") && $0.hasSuffix("watch shows diagnostics when the compile ends") }.count == 1, "\(said)")
        #expect(said.contains { $0.contains("program.bpf.c:") && $0.contains("error: expected ';'") }, "the compiler's own message: \(said)")
        #expect(!said.contains { $0.hasPrefix("libclang: ") }, "\(said)")
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
    }
}
