import Foundation
import GadgetBuild
import Testing

/// libbpf error paths that need no compiler and no kernel.
@Suite("libbpf error paths")
final class BPFErrorPathTests {
    let directory: URL

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("gadgetc-bpf-unit-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: directory) }

    private func file(_ name: String, _ contents: String) throws -> URL {
        let url = directory.appendingPathComponent(name)
        try contents.write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    @Test func linkedLibbpfIs1Point1() {
        #expect(Libbpf.version == "1.1")
    }

    @Test func inspectingAMissingFileSaysSo() throws {
        let missing = directory.appendingPathComponent("nope.bpf.o")
        let error = try #require(throws: BPFError.self) { try BPFObjectInspector.inspect(missing) }
        #expect(error.operation == .open)
        #expect(error.code == ENOENT)
        #expect(error.description.contains(missing.path))
        #expect(error.description.contains("no such file"))
    }

    @Test func inspectingTextSaysItIsNotAnELF() throws {
        let text = try file("program.bpf.o", "int main(void) { return 0; }\n")
        let error = try #require(throws: BPFError.self) { try BPFObjectInspector.inspect(text) }
        #expect(error.reason == "not an ELF file")
        #expect(error.description.contains("clang -target bpf"))
        #expect(!error.description.contains("\n"))
    }

    @Test func inspectingANonBPFELFIsRefusedByLibbpf() throws {
        let host = URL(fileURLWithPath: "/bin/true")
        let error = try #require(throws: BPFError.self) { try BPFObjectInspector.inspect(host) }
        #expect(error.operation == .open)
        #expect(!error.libbpfMessages.isEmpty, "libbpf's own message is captured")
        print("non-BPF ELF: \(error)")
    }

    @Test func inspectingADirectoryFails() throws {
        let error = try #require(throws: BPFError.self) { try BPFObjectInspector.inspect(directory) }
        #expect(error.reason.contains("directory"))
    }

    @Test func linkingNothingOrMissingInputsFails() throws {
        let output = directory.appendingPathComponent("out.bpf.o")
        let empty = try #require(throws: BPFError.self) { try BPFLinker.link([], into: output) }
        #expect(empty.reason == "no input objects")

        let missing = directory.appendingPathComponent("missing.bpf.o")
        let error = try #require(throws: BPFError.self) { try BPFLinker.link([missing], into: output) }
        #expect(error.operation == .link)
        #expect(error.file == missing.path)
        #expect(!FileManager.default.fileExists(atPath: output.path))

        let text = try file("text.o", "hello")
        let notELF = try #require(throws: BPFError.self) { try BPFLinker.link([text], into: output) }
        #expect(notELF.reason == "not an ELF file")
    }

    @Test func linkingANonBPFELFLeavesNoOutputBehind() throws {
        let output = directory.appendingPathComponent("out.bpf.o")
        let error = try #require(throws: BPFError.self) {
            try BPFLinker.link([URL(fileURLWithPath: "/bin/true")], into: output)
        }
        #expect(error.operation == .link)
        print("link of a host ELF: \(error)")
        let contents = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        #expect(contents.isEmpty, "no output and no temporary file: \(contents)")
    }

    @Test func verifierLoadOfAMissingFileFailsBeforeTheKernel() throws {
        let error = try #require(throws: BPFError.self) {
            try BPFVerifier.load(directory.appendingPathComponent("gone.o"))
        }
        #expect(error.operation == .load)
        #expect(error.code == ENOENT)
    }

    @Test func vmlinuxHeaderNeedsReadableBTF() throws {
        let output = directory.appendingPathComponent("vmlinux.h")
        let missing = try #require(throws: BPFError.self) {
            try VmlinuxHeader.generate(fromBTF: directory.appendingPathComponent("vmlinux"), to: output)
        }
        #expect(missing.operation == .generateVmlinuxHeader)
        #expect(missing.description.contains("no such BTF file"))

        let garbage = try file("btf", String(repeating: "not btf ", count: 64))
        let error = try #require(throws: BPFError.self) { try VmlinuxHeader.generate(fromBTF: garbage, to: output) }
        #expect(error.reason.contains("not readable as BTF"))
        #expect(!FileManager.default.fileExists(atPath: output.path))
    }

    @Test func errorsPrintOnOneLineWithLibbpfsMostUsefulMessage() {
        let error = BPFError(
            .load, file: "/x/amd64.bpf.o", reason: "the kernel refused it", remedy: "run as root",
            libbpfMessages: [
                "prog 'f': BPF program load failed: Operation not permitted",
                "prog 'f': failed to load: -1",
                "failed to load object '/x/amd64.bpf.o'",
            ])
        #expect(error.description == "cannot load BPF object /x/amd64.bpf.o: the kernel refused it"
            + " (libbpf: prog 'f': BPF program load failed: Operation not permitted); run as root")
    }

    @Test func probeGivesAReasonEitherWay() {
        let support = KernelBPFSupport.probe()
        #expect(!support.reason.isEmpty)
        if geteuid() != 0 && !support.accepted {
            #expect(support.reason.contains("root") || support.reason.contains("CAP_BPF"))
        }
        print("kernel BPF support: \(support.accepted) — \(support.reason)")
    }
}
