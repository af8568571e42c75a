import Foundation
@testable import GadgetBuild

/// A copy of a sample (trace_exec by default: it includes vmlinux.h, generated from the kernel's BTF
/// into the cache), a cache, a TMPDIR and an OCI layout of its own.
struct BinarySandbox {
    let root: URL
    var gadget: URL { root.appendingPathComponent("g") }
    var cache: URL { root.appendingPathComponent("cache") }
    var tmp: URL { root.appendingPathComponent("tmp") }
    var layout: URL { root.appendingPathComponent("layout") }
    var environment: [String: String] { ["GADGETC_CACHE_DIR": cache.path, "TMPDIR": tmp.path, "SOURCE_DATE_EPOCH": "0"] }
    var buildArguments: [String] { [Fixtures.gadgetc, "build", "--arch", "amd64", "--oci-layout", layout.path, gadget.path] }

    init(_ label: String, sample: String = "trace_exec") throws {
        root = try Fixtures.temporaryDirectory(label)
        try FileManager.default.copyItem(at: Fixtures.samples.appendingPathComponent(sample), to: gadget)
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
    }

    func remove() { try? FileManager.default.removeItem(at: root) }

    func run(_ argv: [String], environment extra: [String: String] = [:]) async throws -> ProcessResult {
        try await Fixtures.run(argv, environment: environment.merging(extra) { $1 })
    }

    func edit(_ value: Int) throws {
        let source = gadget.appendingPathComponent("program.bpf.c")
        let text = try String(contentsOf: source, encoding: .utf8)
        try (text + "\nconst volatile int edit_value = \(value);\n").write(to: source, atomically: true, encoding: .utf8)
    }

    /// The work folders of builds in this sandbox's TMPDIR.
    var workFolders: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: tmp.path)) ?? []).filter { $0.hasPrefix("gadgetc-build-") }
    }
}
