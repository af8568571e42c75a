import Foundation
@testable import GadgetBuild

/// A scratch folder with small stand-ins for the files a gadget build produces.
struct OCIScratch {
    let root: URL

    init() throws {
        root = FileManager.default.temporaryDirectory
            .appendingPathComponent("gadgetc-oci-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    }

    func file(_ name: String, _ contents: String) throws -> URL {
        let url = root.appendingPathComponent(name)
        try Data(contents.utf8).write(to: url)
        return url
    }

    func remove() {
        try? FileManager.default.removeItem(at: root)
    }

    /// Two dummy eBPF objects, a wasm module and a gadget.yaml.
    func content(created: Date = Date(timeIntervalSince1970: 1_700_000_000), wasm: Bool = true,
                 metadata: String? = OCIScratch.gadgetYAML) throws -> GadgetImageContent {
        try GadgetImageContent(
            programs: ["amd64": try file("amd64.bpf.o", "\u{7f}ELF amd64 object"),
                       "arm64": try file("arm64.bpf.o", "\u{7f}ELF arm64 object")],
            wasm: wasm ? try file("program.wasm", "\u{0}asm module") : nil,
            metadata: metadata.map { Data($0.utf8) },
            created: created)
    }

    static let gadgetYAML = """
        name: trace open
        description: Trace <open> & openat system calls
        homepageURL: https://inspektor-gadget.io/
        documentationURL: https://inspektor-gadget.io/docs/latest/gadgets/trace_open
        sourceURL: https://github.com/inspektor-gadget/inspektor-gadget/tree/main/gadgets/trace_open
        datasources:
          open:
            fields:
              fname:
                annotations:
                  columns.width: 32

        """

    /// Every file below `url`, relative, sorted.
    static func files(under url: URL) -> [String] {
        guard let enumerator = FileManager.default.enumerator(atPath: url.path) else { return [] }
        var files: [String] = []
        while let path = enumerator.nextObject() as? String {
            var isDirectory: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: url.appendingPathComponent(path).path, isDirectory: &isDirectory)
            if !isDirectory.boolValue { files.append(path) }
        }
        return files.sorted()
    }

    static func json(_ url: URL) throws -> OCIJSON {
        try OCIJSON.parse(Data(contentsOf: url))
    }

    static func blob(_ layout: URL, _ digest: String) throws -> OCIJSON {
        try json(layout.appendingPathComponent("blobs/sha256/" + digest.dropFirst("sha256:".count)))
    }
}
