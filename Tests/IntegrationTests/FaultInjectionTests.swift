import Foundation
import Testing
@testable import GadgetBuild

/// Faults a build must survive, through the real binary: SIGKILL at random moments, damage anywhere
/// in the cache and the store. After each, the next build gives the clean build's image digest
/// (`SOURCE_DATE_EPOCH=0` makes it a function of the inputs) and leaves nothing behind.
@Suite(.serialized) struct FaultInjectionTests {
    /// A BinarySandbox of top_syscalls (two sources, the PCH for both) building into its own store.
    struct Bench {
        let box: BinarySandbox
        var root: URL { box.root }
        var gadget: URL { box.gadget }
        var cache: URL { box.cache }
        var store: URL { root.appendingPathComponent("store") }
        var environment: [String: String] { box.environment }

        init(_ label: String) throws { box = try BinarySandbox(label, sample: "top_syscalls") }

        var argv: [String] { [Fixtures.gadgetc, "build", gadget.path, "-I", Fixtures.bundledHeaders, "--store", store.path] }

        /// Builds and returns the digest it printed.
        func build(_ extra: [String] = [], cache: URL? = nil, store: URL? = nil) async throws -> String {
            var environment = self.environment
            if let cache { environment["GADGETC_CACHE_DIR"] = cache.path }
            var argv = self.argv
            if let store { argv[argv.count - 1] = store.path }
            let result = try await Fixtures.run(argv + extra, environment: environment)
            #expect(result.succeeded, "\(result.standardError)")
            return try #require(result.standardOutput.split(separator: "@").last.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) })
        }

        /// The digest of a build with nothing shared: a fresh cache and a fresh store.
        func cleanDigest() async throws -> String {
            try await build(["--no-cache"], cache: root.appendingPathComponent("clean-cache"), store: root.appendingPathComponent("clean-store"))
        }

        /// Every blob a tag needs is whole (damaged blobs no tag needs are `store check --repair`'s to remove).
        func storeIsHealthy() async throws -> Bool {
            let check = try await Fixtures.run([Fixtures.gadgetc, "store", "check", "--store", store.path, "--json"])
            let report = try JSONDecoder().decode(StoreCheckReport.self, from: Data(check.standardOutput.utf8))
            if report.problems.contains(where: { !$0.tags.isEmpty }) || !report.leftovers.isEmpty {
                print("store problems: \(report.problems) leftovers: \(report.leftovers)")
                return false
            }
            return true
        }
    }

    @Test func killsAtRandomMomentsNeverChangeTheNextImage() async throws {
        let bench = try Bench("fault-kill")
        defer { try? FileManager.default.removeItem(at: bench.root) }
        let clean = try await bench.cleanDigest()
        var generator = SeededGenerator(seed: 2026_12_02)
        for round in 0..<12 {
            if round % 3 == 0 { try? FileManager.default.removeItem(at: bench.cache) }  // cold builds die in other places
            let process = Process()
            process.executableURL = URL(fileURLWithPath: bench.argv[0])
            process.arguments = Array(bench.argv.dropFirst())
            process.environment = ProcessInfo.processInfo.environment.merging(bench.environment) { $1 }
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            try await Task.sleep(for: .milliseconds(Int.random(in: 0...400, using: &generator)))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            #expect(try await bench.build() == clean, "after a kill in round \(round)")
        }
        #expect(try await bench.storeIsHealthy(), "no damage and no temporaries left in the store")
    }

    @Test func damageAnywhereInTheCacheOrStoreNeverChangesTheNextImage() async throws {
        let bench = try Bench("fault-damage")
        defer { try? FileManager.default.removeItem(at: bench.root) }
        let clean = try await bench.cleanDigest()
        #expect(try await bench.build() == clean)
        var generator = SeededGenerator(seed: 42)
        for round in 0..<6 {
            // Flip a byte in, truncate, or empty a few files of the cache and of the store's blobs.
            let cacheFiles = Fixtures.files(under: bench.cache).map { bench.cache.appendingPathComponent($0) }
            let blobs = Fixtures.files(under: bench.store.appendingPathComponent("blobs")).map { bench.store.appendingPathComponent("blobs").appendingPathComponent($0) }
            for file in (cacheFiles + blobs).shuffled(using: &generator).prefix(8) {
                guard var bytes = try? Data(contentsOf: file), !bytes.isEmpty else { continue }
                switch Int.random(in: 0..<3, using: &generator) {
                case 0: bytes[Int.random(in: 0..<bytes.count, using: &generator)] ^= 0x20
                case 1: bytes = bytes.prefix(bytes.count / 2)
                default: bytes = Data()
                }
                try bytes.write(to: file)
            }
            // An edit and its undo make the next build a full one (not merely up to date), as a user's would.
            let source = bench.gadget.appendingPathComponent("program.bpf.c")
            let text = try String(contentsOf: source, encoding: .utf8)
            try (text + "// round \(round)\n").write(to: source, atomically: true, encoding: .utf8)
            try await Task.sleep(for: .milliseconds(20))
            _ = try await bench.build()
            try text.write(to: source, atomically: true, encoding: .utf8)
            try await Task.sleep(for: .milliseconds(20))
            let digest = try await bench.build()
            #expect(digest == clean, "after damage in round \(round)")
            #expect(try await bench.storeIsHealthy(), "the store healed in round \(round)")
        }
    }
}

/// A small deterministic generator (SplitMix64), so that a failing round can be replayed.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
