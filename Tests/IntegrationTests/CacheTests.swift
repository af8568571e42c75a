import Foundation
import Testing
@testable import GadgetBuild

/// Records which jobs compiled and which came from the cache.
final class RecordingObserver: BuildObserver, @unchecked Sendable {
    private let lock = NSLock()
    private(set) var compiled: [String] = []
    private(set) var cached: [String] = []
    private(set) var notes: [String] = []
    private(set) var diagnosticsShown: [String] = []
    /// The whole build was skipped: its record said nothing changed.
    var upToDate: Bool { notes.contains { $0.hasSuffix(": up to date") } }
    /// Nothing was compiled: every compile came from the cache, or the build was up to date.
    var nothingCompiled: Bool { lock.withLock { compiled.isEmpty } && (upToDate || !cached.isEmpty) }

    func jobStarted(_ job: Job) {}
    func jobFinished(_ job: Job, milliseconds: Double) {
        if job.kind == .compile { lock.withLock { compiled.append(job.summary) } }
    }
    func jobCached(_ job: Job) {
        if job.kind == .compile { lock.withLock { cached.append(job.summary) } }
    }
    func diagnostics(_ job: Job, text: String) { lock.withLock { diagnosticsShown.append(text) } }
    func note(_ text: String) { lock.withLock { notes.append(text) } }
}

/// The cache's correctness, not its speed: what must rebuild does, what must not be trusted is not.
@Suite struct CacheTests {
    /// A gadget with a local header, in a fresh folder, with a fresh cache.
    struct Sandbox {
        let root: URL
        var gadget: URL { root.appendingPathComponent("cachegadget") }
        var cache: URL { root.appendingPathComponent("cache") }
        var layout: URL { root.appendingPathComponent("layout") }

        init() throws {
            root = try Fixtures.temporaryDirectory("cache")
            try FileManager.default.createDirectory(at: gadget, withIntermediateDirectories: true)
            try write("local.h", "#define LIMIT 10\n")
            try write("program.bpf.c", """
                #include <linux/bpf.h>
                #include <bpf/bpf_helpers.h>
                #include "local.h"
                char LICENSE[] SEC("license") = "GPL";
                SEC("socket") int count(void *ctx) { return LIMIT; }

                """)
        }

        /// Writes a file of the gadget, then lets a clock tick pass, as a person's edit would: a file
        /// changed within a tick of a build's start is "racy" and never taken as up to date by the next one.
        func write(_ name: String, _ text: String) throws {
            try text.write(to: gadget.appendingPathComponent(name), atomically: true, encoding: .utf8)
            Thread.sleep(forTimeInterval: 0.02)
        }

        func build(clang: String? = nil, include: [String] = [], arch: [Architecture] = [.amd64], outputDirectory: String? = nil, useCache: Bool = true,
                   sourceDateEpoch: String? = nil) async throws -> RecordingObserver {
            var environment = ProcessInfo.processInfo.environment
            environment["GADGETC_CACHE_DIR"] = cache.path
            if let sourceDateEpoch { environment["SOURCE_DATE_EPOCH"] = sourceDateEpoch }
            if let clang { environment["GADGETC_CLANG"] = clang }
            let observer = RecordingObserver()
            _ = try await BuildDriver(host: LiveHost(environment: environment), observer: observer)
                .build(BuildRequest(gadgetFolder: gadget.path, architectures: arch, includeDirectories: include,
                                    outputDirectory: outputDirectory, ociLayout: layout.path, useCache: useCache))
            return observer
        }
    }

    @Test func headerEditRebuildsAndTouchDoesNot() async throws {
        let box = try Sandbox()
        defer { try? FileManager.default.removeItem(at: box.root) }
        #expect(try await box.build().compiled.count == 1)
        #expect(try await box.build().upToDate)
        // Same bytes, new mtime: the build runs, the compile's inputs are hashed, found unchanged, not recompiled.
        try box.write("local.h", "#define LIMIT 10\n")
        let touched = try await box.build()
        #expect(!touched.upToDate && touched.cached.count == 1)
        // New bytes in an included header (not the main source): recompiled.
        try box.write("local.h", "#define LIMIT 11\n")
        let edited = try await box.build()
        #expect(edited.compiled.count == 1 && edited.cached.isEmpty)
        try box.write("program.bpf.c", (try String(contentsOf: box.gadget.appendingPathComponent("program.bpf.c"), encoding: .utf8)) + "// edit\n")
        #expect(try await box.build().compiled.count == 1)
    }

    @Test func flagOrCompilerChangeRebuilds() async throws {
        let box = try Sandbox()
        defer { try? FileManager.default.removeItem(at: box.root) }
        _ = try await box.build()
        let extra = box.root.appendingPathComponent("extra-include")
        try FileManager.default.createDirectory(at: extra, withIntermediateDirectories: true)
        #expect(try await box.build(include: [extra.path]).compiled.count == 1, "a new -I is a new command")
        let clangs = ["/usr/bin/clang-16", "/opt/swift/usr/bin/clang"].filter { FileManager.default.isExecutableFile(atPath: $0) }
        guard clangs.count == 2 else {
            print("NOTE: compiler-change case skipped: needs both /usr/bin/clang-16 and /opt/swift/usr/bin/clang")
            return
        }
        _ = try await box.build(clang: clangs[0])
        #expect(try await box.build(clang: clangs[0]).nothingCompiled)
        #expect(try await box.build(clang: clangs[1]).compiled.count == 1, "another compiler is another key")
        #expect(try await box.build(clang: clangs[1]).nothingCompiled)
    }

    @Test func corruptEntryIsDetectedAndRebuilt() async throws {
        let box = try Sandbox()
        defer { try? FileManager.default.removeItem(at: box.root) }
        let clean = box.root.appendingPathComponent("clean")
        _ = try await box.build(outputDirectory: clean.path, useCache: false)
        _ = try await box.build()
        for file in Fixtures.files(under: box.cache.appendingPathComponent("objects")) {
            let url = box.cache.appendingPathComponent("objects").appendingPathComponent(file)
            var bytes = try Data(contentsOf: url)
            bytes[bytes.count / 2] ^= 0xFF
            try bytes.write(to: url)
        }
        let kept = box.root.appendingPathComponent("kept")
        let observer = try await box.build(outputDirectory: kept.path)
        #expect(observer.compiled.count == 1)
        #expect(observer.notes.filter { $0.contains("did not match its digest") }.count >= 1)
        #expect(try Data(contentsOf: kept.appendingPathComponent("amd64.bpf.o")) == Data(contentsOf: clean.appendingPathComponent("amd64.bpf.o")))
        #expect(try await box.build().nothingCompiled, "the rebuilt entry is trusted again")
    }

    @Test func cacheHitIsByteIdenticalToAMiss() async throws {
        let box = try Sandbox()
        defer { try? FileManager.default.removeItem(at: box.root) }
        let first = box.root.appendingPathComponent("first"), second = box.root.appendingPathComponent("second")
        #expect(try await box.build(arch: [.amd64, .arm64], outputDirectory: first.path).compiled.count == 2)
        #expect(try await box.build(arch: [.amd64, .arm64], outputDirectory: second.path).cached.count == 2)
        for arch in ["amd64", "arm64"] {
            #expect(try Data(contentsOf: first.appendingPathComponent("\(arch).bpf.o")) == Data(contentsOf: second.appendingPathComponent("\(arch).bpf.o")))
        }
    }

    @Test func eightConcurrentProcessesShareCacheAndStore() async throws {
        let root = try Fixtures.temporaryDirectory("eight")
        defer { try? FileManager.default.removeItem(at: root) }
        let samples = Fixtures.sampleNames
        var gadgets: [URL] = []
        for index in 0..<8 {
            let copy = root.appendingPathComponent("gadget\(index)")
            try FileManager.default.copyItem(at: Fixtures.samples.appendingPathComponent(samples[index % samples.count]), to: copy)
            gadgets.append(copy)
        }
        let store = root.appendingPathComponent("store")
        let environment = ["GADGETC_CACHE_DIR": root.appendingPathComponent("cache").path]
        let results = try await withThrowingTaskGroup(of: ProcessResult.self) { group in
            for gadget in gadgets {
                group.addTask {
                    try await Fixtures.run([Fixtures.gadgetc, "build", gadget.path, "-I", Fixtures.bundledHeaders, "--store", store.path], environment: environment)
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        for result in results { #expect(result.succeeded, "\(result.standardError)") }
        let listing = try await Fixtures.run(["umoci", "ls", "--layout", store.path])
        #expect(listing.succeeded, "\(listing.standardError)")
        let tags = listing.standardOutput.split(separator: "\n").map(String.init).sorted()
        #expect(tags == (0..<8).map { "ghcr.io/inspektor-gadget/gadget/gadget\($0):latest" }.sorted())
    }

    @Test func killedBuildLeavesNothingTrusted() async throws {
        let box = try Sandbox()
        defer { try? FileManager.default.removeItem(at: box.root) }
        let reference = box.root.appendingPathComponent("reference")
        _ = try await box.build(arch: [.amd64, .arm64], outputDirectory: reference.path, useCache: false)
        // Kill builds at different moments; each may leave temporary files, never a trusted entry.
        for delay in [0, 5, 15, 30, 60, 120] {
            try? FileManager.default.removeItem(at: box.cache)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: Fixtures.gadgetc)
            process.arguments = ["build", box.gadget.path, "--oci-layout", box.layout.path]
            process.environment = ProcessInfo.processInfo.environment.merging(["GADGETC_CACHE_DIR": box.cache.path]) { $1 }
            process.standardError = FileHandle.nullDevice
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            try await Task.sleep(for: .milliseconds(delay))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            let kept = box.root.appendingPathComponent("kept-\(delay)")
            _ = try await box.build(arch: [.amd64, .arm64], outputDirectory: kept.path)
            for arch in ["amd64", "arm64"] {
                #expect(try Data(contentsOf: kept.appendingPathComponent("\(arch).bpf.o")) == Data(contentsOf: reference.appendingPathComponent("\(arch).bpf.o")),
                        "after a kill at \(delay) ms")
            }
        }
    }
}

/// The no-op shortcut: skipped only while nothing it depends on moved and the image is still tagged.
@Suite struct BuildRecordTests {
    @Test func upToDateUntilAnInputOrTheStoreChanges() async throws {
        let box = try CacheTests.Sandbox()
        defer { try? FileManager.default.removeItem(at: box.root) }
        #expect(try await box.build().compiled.count == 1)
        #expect(try await box.build().upToDate)
        // The image was removed from the layout: rebuild (from the compile cache) and tag again.
        try FileManager.default.removeItem(at: box.layout)
        let retag = try await box.build()
        #expect(!retag.upToDate && retag.cached.count == 1)
        #expect(try await box.build().upToDate)
        // A header edit moves a recorded input.
        try box.write("local.h", "#define LIMIT 12\n")
        let edited = try await box.build()
        #expect(!edited.upToDate && edited.compiled.count == 1)
        // Another request (here: another arch set) has its own record.
        #expect(try await !box.build(arch: [.amd64, .arm64]).upToDate)
    }
}
