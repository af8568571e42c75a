import Foundation
import Testing
@testable import GadgetBuild

/// BTF line info records the source paths ig's builder has, whatever the host's folders: the gadget
/// at /work, gadgetc's headers under /usr/include (`DebugPathMapping`, applied after the link).
@Suite("BTF line info paths", .serialized, .enabled(if: SampleCompiler.available, "needs clang and the kernel's BTF"))
struct BTFPathMapTests {
    /// The strings .BTF.ext line_info records name: source file names and source line texts.
    static func lineInfo(of object: URL) throws -> (files: Set<String>, lines: Set<String>) {
        let bytes = [UInt8](try Data(contentsOf: object))
        let table = try ELFSectionTable(bytes)
        let btf = try BTFRawSection(Array(bytes[try #require(table.section(named: ".BTF")).range]))
        let ext = try BTFExtSection(Array(bytes[try #require(table.section(named: ".BTF.ext")).range]))
        var files = Set<String>(), lines = Set<String>()
        func text(_ slot: Int) throws -> String { String(decoding: try btf.string(at: ext.bytes.u32(at: slot)), as: UTF8.self) }
        for slot in ext.fileNameSlots {
            files.insert(try text(slot))
            lines.insert(try text(slot + 4))  // line_off follows file_name_off
        }
        return (files, lines)
    }

    /// Builds `sample` with gadgetc from a copy of it at `gadget`, with gadgetc's headers copied to
    /// `headers`; returns the folder holding the linked objects.
    static func build(_ sample: String, at gadget: URL, headers: URL, root: URL, label: String) async throws -> URL {
        try FileManager.default.createDirectory(at: gadget.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: Fixtures.samples.appendingPathComponent(sample), to: gadget)
        try FileManager.default.createDirectory(at: headers.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: URL(fileURLWithPath: Fixtures.bundledHeaders), to: headers)
        let output = root.appendingPathComponent("out-\(label)")
        try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
        let result = try await Fixtures.run(
            [Fixtures.gadgetc, "build", gadget.path, "-I", headers.path, "-o", output.path,
             "--oci-layout", root.appendingPathComponent("layout-\(label)").path],
            environment: ["GADGETC_CACHE_DIR": root.appendingPathComponent("cache-\(label)").path])
        #expect(result.succeeded, "\(result.standardError)")
        return output
    }

    @Test(arguments: ["trace_exec", "trace_signal"])
    func twoCheckoutsAndTwoHeaderFoldersLinkToTheSameBytes(sample: String) async throws {
        let root = try Fixtures.temporaryDirectory("btf-paths-\(sample)")
        defer { try? FileManager.default.removeItem(at: root) }
        let first = try await Self.build(sample, at: root.appendingPathComponent("a/\(sample)"),
                                         headers: root.appendingPathComponent("h1/include"), root: root, label: "1")
        let second = try await Self.build(sample, at: root.appendingPathComponent("b/deeper/\(sample)"),
                                          headers: root.appendingPathComponent("h2/x/include"), root: root, label: "2")
        // A plain compile (ig's flags, nothing else) of the first copy, linked without a map: the
        // line texts clang quotes when every path it records exists.
        let arch = BPFTestBench.multiarchInclude.contains("aarch64") ? ("arm64", "arm64") : ("amd64", "x86")
        let plain = root.appendingPathComponent("plain.o")
        let vmlinux = root.appendingPathComponent("cache-1").path
        let vmlinuxFolders = FileManager.default.enumerator(atPath: vmlinux)?.compactMap { $0 as? String }
            .filter { $0.hasSuffix("\(arch.0)/vmlinux.h") }.map { "\(vmlinux)/\(($0 as NSString).deletingLastPathComponent)" } ?? []
        let compile = try await Fixtures.run(
            ["/usr/bin/clang-16", "-target", "bpf", "-Wall", "-g", "-O2", "-I\(BPFTestBench.multiarchInclude)", "-D", "__TARGET_ARCH_\(arch.1)",
             "-c", "program.bpf.c"] + vmlinuxFolders.flatMap { ["-I", $0 + "/"] }
                + ["-I", root.appendingPathComponent("h1/include").path, "-I", Fixtures.repository.appendingPathComponent("bpf/compat").path,
                   "-o", plain.path], in: root.appendingPathComponent("a/\(sample)").path)
        #expect(compile.succeeded, "\(compile.standardError)")
        let plainLinked = root.appendingPathComponent("plain-linked.o")
        try BPFLinker.link([plain], into: plainLinked)
        let quoted = try Self.lineInfo(of: plainLinked).lines
        #expect(!quoted.isEmpty)

        for name in ["amd64.bpf.o", "arm64.bpf.o"] {
            let bytes = try Data(contentsOf: first.appendingPathComponent(name))
            #expect(bytes == (try Data(contentsOf: second.appendingPathComponent(name))), "\(sample) \(name): the checkout changed the bytes")
            let text = String(decoding: bytes, as: UTF8.self)
            #expect(!text.contains(root.path) && !text.contains(Fixtures.repository.path), "\(sample) \(name) names a host folder")
            let info = try Self.lineInfo(of: first.appendingPathComponent(name))
            #expect(info.files.contains("/work/program.bpf.c"), "\(info.files)")
            #expect(info.files.contains("/usr/include/gadget/buffer.h"), "\(info.files)")
            #expect(info.files.allSatisfy { $0.hasPrefix("/work/") || $0.hasPrefix("/usr/include/") }, "\(info.files)")
            if name.hasPrefix(arch.0) {
                #expect(quoted.subtracting(info.lines).isEmpty, "\(sample): lines lost: \(quoted.subtracting(info.lines))")
            }
        }
        guard BPFTestBench.isRoot else { return }
        let report = try BPFVerifier.load(first.appendingPathComponent("\(arch.0).bpf.o"))
        #expect(report.allAccepted, "\(report)")
    }
}
