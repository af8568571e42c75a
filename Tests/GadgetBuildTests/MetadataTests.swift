import Foundation
import Testing
@testable import GadgetBuild

@Suite struct BuildFileTests {
    @Test func defaultsWhenEmpty() throws {
        #expect(try BuildFile(yaml: "", origin: "build.yaml") == BuildFile())
    }

    @Test func readsKnownKeys() throws {
        let file = try BuildFile(yaml: "ebpfsource: main.bpf.c\nmetadata: meta.yaml\nwasm: mod.wasm\n", origin: "build.yaml")
        #expect(file == BuildFile(ebpfSource: "main.bpf.c", metadata: "meta.yaml", wasm: "mod.wasm"))
    }

    @Test func rejectsCflagsWithTheReason() {
        #expect(throws: MetadataError.unknownBuildKey(file: "build.yaml", key: "cflags")) {
            try BuildFile(yaml: "cflags: -DFOO\n", origin: "build.yaml")
        }
        let text = MetadataError.unknownBuildKey(file: "build.yaml", key: "cflags").description
        #expect(text.contains("shell injection"))
    }

    @Test func rejectsUnknownKeysByName() {
        #expect(throws: MetadataError.unknownBuildKey(file: "build.yaml", key: "ebpfsources")) {
            try BuildFile(yaml: "ebpfsources: x.bpf.c\n", origin: "build.yaml")
        }
    }

    @Test func brokenYAMLNamesTheLine() throws {
        do {
            _ = try BuildFile(yaml: "ebpfsource: [unclosed\n", origin: "build.yaml")
            Issue.record("expected an error")
        } catch let error as MetadataError {
            guard case .invalidYAML(let file, let reason) = error else { Issue.record("\(error)"); return }
            #expect(file == "build.yaml")
            #expect(reason.contains("line"))
            #expect(!error.description.contains("\n"))
        }
    }

    @Test func nonStringValueIsAnError() {
        #expect(throws: MetadataError.expectedString(file: "build.yaml", key: "ebpfsource")) {
            try BuildFile(yaml: "ebpfsource: [a, b]\n", origin: "build.yaml")
        }
    }
}

@Suite struct GadgetFolderTests {
    func makeFolder(_ files: [String: String]) throws -> URL {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("gadgetc-folder-\(UUID().uuidString)/gadget")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        for (name, text) in files {
            let url = root.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try text.write(to: url, atomically: true, encoding: .utf8)
        }
        return root
    }

    @Test func defaultLayout() throws {
        let root = try makeFolder(["program.bpf.c": "", "gadget.yaml": "name: x\n", "helpers.bpf.c": ""])
        let folder = try GadgetFolder(folder: root.path)
        #expect(folder.ebpfSources == ["program.bpf.c", "helpers.bpf.c"])
        #expect(folder.metadata?.lastPathComponent == "gadget.yaml")
        #expect(folder.buildFile == nil)
    }

    @Test func missingFolder() {
        #expect(throws: MetadataError.folderMissing("/nonexistent/gadget")) {
            try GadgetFolder(folder: "/nonexistent/gadget")
        }
    }

    @Test func emptyFolderSaysWhatIsExpected() throws {
        let root = try makeFolder(["README": ""])
        #expect(throws: MetadataError.notAGadget(root.path)) { try GadgetFolder(folder: root.path) }
    }

    @Test func pathLeavingTheFolderIsRejected() throws {
        let root = try makeFolder(["program.bpf.c": "", "build.yaml": "ebpfsource: ../outside.bpf.c\n", "../outside.bpf.c": ""])
        #expect(throws: MetadataError.pathEscapesGadget(file: "build.yaml", key: "ebpfsource", path: "../outside.bpf.c")) {
            try GadgetFolder(folder: root.path)
        }
    }

    @Test func absolutePathIsRejected() throws {
        let root = try makeFolder(["program.bpf.c": "", "build.yaml": "metadata: /etc/passwd\n"])
        #expect(throws: MetadataError.pathEscapesGadget(file: "build.yaml", key: "metadata", path: "/etc/passwd")) {
            try GadgetFolder(folder: root.path)
        }
    }

    @Test func symlinkOutOfTheFolderIsRejected() throws {
        let root = try makeFolder(["program.bpf.c": "", "build.yaml": "metadata: meta.yaml\n"])
        try FileManager.default.createSymbolicLink(atPath: root.appendingPathComponent("meta.yaml").path, withDestinationPath: "/etc/hostname")
        #expect(throws: MetadataError.symlinkLeavesGadget(file: "build.yaml: 'metadata: meta.yaml'", target: ResolvedPath("/etc/hostname").path)) {
            try GadgetFolder(folder: root.path)
        }
    }

    @Test func namedSourceMustExist() throws {
        let root = try makeFolder(["gadget.yaml": "", "build.yaml": "ebpfsource: main.bpf.c\n"])
        #expect(throws: MetadataError.fileMissing(file: "build.yaml", key: "ebpfsource", path: "main.bpf.c")) {
            try GadgetFolder(folder: root.path)
        }
    }

    @Test func wasmSourcesAreKnownByTheirExtension() throws {
        let go = try makeFolder(["program.bpf.c": "", "build.yaml": "wasm: go/program.go\n", "go/program.go": ""])
        let goSource = try GadgetFolder(folder: go.path).wasm
        #expect(goSource?.source.path == go.appendingPathComponent("go/program.go").path)
        guard case .go = goSource else { Issue.record("not Go: \(String(describing: goSource))"); return }
        let rust = try makeFolder(["program.bpf.c": "", "build.yaml": "wasm: rust/src/lib.rs\n", "rust/src/lib.rs": "", "rust/Cargo.toml": ""])
        guard case .rust(let source, let manifest) = try GadgetFolder(folder: rust.path).wasm else { Issue.record("not Rust"); return }
        #expect(source.path == rust.appendingPathComponent("rust/src/lib.rs").path)
        #expect(manifest.path == rust.appendingPathComponent("rust/Cargo.toml").path)
        let other = try makeFolder(["program.bpf.c": "", "build.yaml": "wasm: main.zig\n", "main.zig": ""])
        #expect(throws: MetadataError.unsupportedWasmSource(path: "main.zig")) { try GadgetFolder(folder: other.path) }
    }

    @Test func aRustSourceNeedsTheCratesManifest() throws {
        let root = try makeFolder(["program.bpf.c": "", "build.yaml": "wasm: rust/src/lib.rs\n", "rust/src/lib.rs": ""])
        #expect(throws: MetadataError.cargoManifestMissing(source: "rust/src/lib.rs", manifest: "rust/Cargo.toml")) {
            try GadgetFolder(folder: root.path)
        }
        let top = try makeFolder(["program.bpf.c": "", "build.yaml": "wasm: lib.rs\n", "lib.rs": ""])
        #expect(throws: MetadataError.cargoManifestMissing(source: "lib.rs", manifest: "../Cargo.toml")) { try GadgetFolder(folder: top.path) }
    }

    @Test func aMissingGoSourceIsNamed() throws {
        let root = try makeFolder(["program.bpf.c": "", "build.yaml": "wasm: go/program.go\n"])
        #expect(throws: MetadataError.fileMissing(file: "build.yaml", key: "wasm", path: "go/program.go")) { try GadgetFolder(folder: root.path) }
    }

    @Test func knowsWhetherTheGadgetNeedsVmlinux() {
        #expect(GadgetFolder.includesVmlinux("// x\n#include <vmlinux.h>\n"))
        #expect(GadgetFolder.includesVmlinux("#  include \"vmlinux.h\"\n"))
        #expect(!GadgetFolder.includesVmlinux("/* needs no vmlinux.h */\n#include <linux/bpf.h>\n"))
        #expect(!GadgetFolder.includesVmlinux("#if __has_include(<vmlinux.h>)\n#include <vmlinux.h>\n#endif\n"))
    }

    @Test func prebuiltWasmIsPackaged() throws {
        let root = try makeFolder(["program.bpf.c": "", "build.yaml": "wasm: mod.wasm\n", "mod.wasm": "\0asm"])
        #expect(try GadgetFolder(folder: root.path).wasmModule?.lastPathComponent == "mod.wasm")
    }
}

@Suite struct GadgetMetadataTests {
    @Test func readsIdentityAndParams() throws {
        let yaml = """
        name: trace exec
        description: Trace process execution
        homepageURL: https://example.com
        params:
          ebpf:
            targ_uid:
              key: uid
              description: only this uid
            no_key:
              description: missing key
        datasources:
          exec:
            fields: {}
        """
        let metadata = try GadgetMetadata(bytes: Data(yaml.utf8), origin: "gadget.yaml")
        #expect(metadata.name == "trace exec")
        #expect(metadata.homepageURL == "https://example.com")
        #expect(metadata.ebpfParams == ["targ_uid": "uid", "no_key": ""])
        #expect(metadata.dataSources == ["exec"])
    }

    @Test func brokenYAML() {
        #expect(throws: MetadataError.self) { try GadgetMetadata(bytes: Data("name: [\n".utf8), origin: "gadget.yaml") }
    }
}

@Suite struct MetadataValidatorTests {
    func object(variables: [BPFObjectSummary.Variable], maps: [BPFObjectSummary.Map] = [], structs: [String] = []) -> BPFObjectSummary {
        BPFObjectSummary(hasBTF: true, programs: [], maps: maps, variables: variables,
                         structures: structs.map { .init(name: $0, kind: "struct", size: 8, members: []) })
    }

    func variable(_ name: String, constVolatile: Bool = false, section: String = ".rodata") -> BPFObjectSummary.Variable {
        .init(name: name, section: section, isConstVolatile: constVolatile, typeName: "int")
    }

    @Test func acceptsMatchingMetadata() throws {
        let metadata = try GadgetMetadata(bytes: Data("params:\n  ebpf:\n    targ_pid:\n      key: pid\n".utf8), origin: "gadget.yaml")
        let summary = object(variables: [variable("targ_pid", constVolatile: true), variable("gadget_tracer_exec___events___event", section: ".bss")],
                             maps: [.init(name: "events", type: "ringbuf", keySize: 0, valueSize: 0, maxEntries: 4096, isInternal: false)],
                             structs: ["event"])
        #expect(MetadataValidator().problems(metadata: metadata, object: summary).isEmpty)
    }

    @Test func reportsEveryMismatch() throws {
        let metadata = try GadgetMetadata(bytes: Data("params:\n  ebpf:\n    missing: {key: m}\n    plain: {key: p}\n    nokey: {}\n".utf8), origin: "gadget.yaml")
        let summary = object(variables: [variable("plain"), variable("nokey", constVolatile: true),
                                         variable("gadget_tracer_t___counts___event", section: ".bss")],
                             maps: [.init(name: "counts", type: "hash", keySize: 4, valueSize: 8, maxEntries: 1, isInternal: false)])
        let problems = MetadataValidator().problems(metadata: metadata, object: summary)
        #expect(problems.contains { $0.contains("'missing' names no global") })
        #expect(problems.contains { $0.contains("'plain' must be a global 'const volatile'") })
        #expect(problems.contains { $0.contains("'nokey' has no key") })
        #expect(problems.contains { $0.contains("needs a ringbuf or perf_event_array") })
        #expect(problems.contains { $0.contains("struct 'event'") })
        #expect(problems.count == 5)
    }
}
