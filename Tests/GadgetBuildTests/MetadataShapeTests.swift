import Foundation
import Testing
@testable import GadgetBuild

/// gadget.yaml keys of the wrong YAML type are rejected with the key's path (review F15).
@Suite struct MetadataShapeTests {
    func failure(_ yaml: String) -> MetadataError? {
        do {
            _ = try GadgetMetadata(bytes: Data(yaml.utf8), origin: "gadget.yaml")
            return nil
        } catch {
            return error as? MetadataError
        }
    }

    @Test func datasourcesAsAString() {
        let error = failure("name: x\ndatasources: \"oops\"\n")
        #expect(error == .wrongType(file: "gadget.yaml", key: "datasources", expected: "a mapping", found: "a string"))
        #expect(error?.description == "gadget.yaml: 'datasources' must be a mapping, found a string")
    }

    @Test func wrongTypesDeeperDown() {
        #expect(failure("params: [a, b]\n") == .wrongType(file: "gadget.yaml", key: "params", expected: "a mapping", found: "a list"))
        #expect(failure("params:\n  ebpf: 3\n") == .wrongType(file: "gadget.yaml", key: "params.ebpf", expected: "a mapping", found: "a number"))
        #expect(failure("params:\n  ebpf:\n    targ_pid: true\n")
                == .wrongType(file: "gadget.yaml", key: "params.ebpf.targ_pid", expected: "a mapping", found: "a boolean"))
        #expect(failure("params:\n  ebpf:\n    targ_pid:\n      key: [x]\n")
                == .wrongType(file: "gadget.yaml", key: "params.ebpf.targ_pid.key", expected: "a single value", found: "a list"))
        #expect(failure("datasources:\n  exec:\n    fields: oops\n")
                == .wrongType(file: "gadget.yaml", key: "datasources.exec.fields", expected: "a mapping", found: "a string"))
        #expect(failure("datasources:\n  exec:\n    fields:\n      pid:\n        annotations: [a]\n")
                == .wrongType(file: "gadget.yaml", key: "datasources.exec.fields.pid.annotations", expected: "a mapping", found: "a list"))
        #expect(failure("name: {a: b}\n") == .wrongType(file: "gadget.yaml", key: "name", expected: "a single value", found: "a mapping"))
        #expect(failure("annotations: x\n") == .wrongType(file: "gadget.yaml", key: "annotations", expected: "a mapping", found: "a string"))
        #expect(failure("gadgetParams: [x]\n") == .wrongType(file: "gadget.yaml", key: "gadgetParams", expected: "a mapping", found: "a list"))
    }

    @Test func nullsUnknownKeysAndTheSamplesAreFine() throws {
        #expect(failure("name: x\ndatasources:\nparams: ~\noperator: [anything]\ndatasources2: 3\n") == nil)
        #expect(failure("datasources:\n  exec:\n    fields:\n      pid:\n") == nil)
        let samples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("bpf/gadgets")
        for name in try FileManager.default.contentsOfDirectory(atPath: samples.path) {
            let file = samples.appendingPathComponent("\(name)/gadget.yaml")
            guard FileManager.default.fileExists(atPath: file.path) else { continue }
            #expect(throws: Never.self, "\(name)") { try GadgetMetadata(contentsOf: file) }
        }
    }

    @Test func readingADirectoryOrFIFOSaysWhatItIs() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("gadgetc-meta-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("gadget.yaml"), withIntermediateDirectories: true)
        #expect(throws: MetadataError.unreadable(path: dir.path + "/gadget.yaml", reason: "it is a directory, not a regular file")) {
            try GadgetMetadata(contentsOf: dir.appendingPathComponent("gadget.yaml"))
        }
        #expect(mkfifo(dir.path + "/fifo.yaml", 0o644) == 0)
        #expect(throws: MetadataError.unreadable(path: dir.path + "/fifo.yaml", reason: "it is a FIFO (named pipe), not a regular file")) {
            try GadgetMetadata(contentsOf: dir.appendingPathComponent("fifo.yaml"))
        }
    }
}
