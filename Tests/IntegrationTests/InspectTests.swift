import Foundation
import Testing
@testable import GadgetBuild

/// Issue 11, point 5: `gadgetc inspect` on images and objects gadgetc built, cross-checked with tools
/// that know nothing of gadgetc (bpftool for BTF, readelf for program sizes, skopeo for the index).
@Suite struct InspectTests {
    /// trace_exec and trace_signal built for both arches into a layout, objects kept with -o.
    struct Built {
        let root: URL
        var layout: String { root.appendingPathComponent("layout").path }
        func object(_ gadget: String, _ arch: Architecture) -> String { root.appendingPathComponent("objects/\(gadget)/\(arch).bpf.o").path }
    }

    func build() async throws -> Built {
        let root = try Fixtures.temporaryDirectory("inspect")
        let built = Built(root: root)
        let result = try await Fixtures.run([Fixtures.gadgetc, "build", "-I", Fixtures.bundledHeaders, "--oci-layout", built.layout,
                                             "-o", root.appendingPathComponent("objects").path,
                                             Fixtures.samples.appendingPathComponent("trace_exec").path,
                                             Fixtures.samples.appendingPathComponent("trace_signal").path],
                                            environment: ["GADGETC_CACHE_DIR": root.appendingPathComponent("cache").path])
        try #require(result.succeeded, "\(result.standardError)")
        return built
    }

    func inspect(_ arguments: [String]) async throws -> ProcessResult {
        try await Fixtures.run([Fixtures.gadgetc, "inspect"] + arguments)
    }

    func json(_ result: ProcessResult) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [String: Any], "\(result.standardError)")
    }

    @Test func anImageAndItsObjectsAgreeWithBpftoolReadelfAndSkopeo() async throws {
        let built = try await build()
        defer { try? FileManager.default.removeItem(at: built.root) }
        let result = try await inspect(["--oci-layout", built.layout, "trace_exec", "--json"])
        try #require(result.succeeded, "\(result.standardError)")
        let document = try json(result)
        #expect(document["schemaVersion"] as? Int == 1 && document["gadgetcVersion"] as? String == GadgetcVersion.string)
        let image = try #require(document["image"] as? [String: Any])
        #expect(image["reference"] as? String == "ghcr.io/inspektor-gadget/gadget/trace_exec:latest")
        #expect((image["annotations"] as? [String: String])?[OCIAnnotation.title] == "trace_exec")
        let architectures = try #require(document["architectures"] as? [[String: Any]])
        #expect(architectures.count == 2)

        // skopeo reads the same index: the same manifests, in the same order.
        if OCITools.available {
            let raw = try OCITools.run("/usr/bin/skopeo", "inspect", "--raw", "oci:\(built.layout):ghcr.io/inspektor-gadget/gadget/trace_exec:latest")
            let index = try #require(try JSONSerialization.jsonObject(with: raw) as? [String: Any])
            let digests = (index["manifests"] as? [[String: Any]])?.compactMap { $0["digest"] as? String }
            #expect(digests == architectures.compactMap { ($0["manifest"] as? [String: Any])?["digest"] as? String })
        }

        for entry in architectures {
            let manifest = try #require(entry["manifest"] as? [String: Any])
            let arch = try #require(Architecture(rawValue: manifest["architecture"] as? String ?? ""))
            let layers = try #require(manifest["layers"] as? [[String: Any]])
            #expect(layers.first?["mediaType"] as? String == GadgetMediaType.eBPFProgram)
            let objectPath = built.object("trace_exec", arch)
            let objectSize = try #require(try FileManager.default.attributesOfItem(atPath: objectPath)[.size] as? Int)
            #expect(layers.first?["size"] as? Int == objectSize)

            let object = try #require(entry["object"] as? [String: Any])
            // The object file gives the same report as the image's layer.
            let fromFile = try json(try await inspect([objectPath, "--json"]))
            for key in ["programs", "maps", "btfTypeCount", "coreRelocationCount", "sha256", "size"] {
                #expect(NSDictionary(dictionary: object).value(forKey: key) as? NSObject == NSDictionary(dictionary: fromFile).value(forKey: key) as? NSObject, "\(key)")
            }
            // The same markers (the image's also say what its gadget.yaml gives them).
            func variables(_ report: [String: Any]) -> [String] { (report["markers"] as? [[String: Any]] ?? []).compactMap { $0["variable"] as? String } }
            #expect(variables(object) == variables(fromFile) && variables(object).allSatisfy { $0.hasPrefix("gadget_") })

            // Programs: the instruction count is the section's size / 8 (one program per section here).
            let programs = try #require(object["programs"] as? [[String: Any]])
            #expect(programs.map { $0["name"] as? String } == ["trace_exec"])
            let section = try #require(programs.first?["section"] as? String)
            let readelf = try await Fixtures.run(["readelf", "-S", "-W", objectPath])
            let row = try #require(readelf.standardOutput.split(separator: "\n").first { $0.contains(" \(section) ") })
            let fields = row.split(separator: " ").map(String.init)
            let size = try #require(fields.firstIndex(of: section).flatMap { Int(fields[$0 + 4], radix: 16) })
            #expect(programs.first?["instructionCount"] as? Int == size / 8, "\(row)")

            // BTF: as many types as bpftool lists.
            let dump = try await Fixtures.run(["bpftool", "btf", "dump", "file", objectPath])
            let bpftoolTypes = dump.standardOutput.split(separator: "\n").filter { $0.hasPrefix("[") }.count
            #expect(object["btfTypeCount"] as? Int == bpftoolTypes && bpftoolTypes > 0)
            // trace_exec reads task_struct and linux_binprm with CO-RE.
            #expect((object["coreRelocationCount"] as? Int ?? 0) > 0)

            let maps = try #require(object["maps"] as? [[String: Any]])
            let events = try #require(maps.first { $0["name"] as? String == "events" })
            #expect(events["type"] as? String == "ringbuf" && events["maxEntries"] as? Int == 256 * 1024)
            let markers = try #require(object["markers"] as? [[String: Any]])
            let tracer = try #require(markers.first { $0["kind"] as? String == "tracer" })
            #expect(tracer["name"] as? String == "exec" && (tracer["problems"] as? [String])?.isEmpty == true)
            #expect((tracer["resolvesTo"] as? [String])?.contains { $0.hasPrefix("map events: ringbuf") } == true, "\(tracer)")
            #expect((tracer["resolvesTo"] as? [String])?.contains { $0.hasPrefix("struct event: ") } == true, "\(tracer)")
        }

        // Params come from the markers and the image's gadget.yaml; the text form reads like bpftool's.
        let signal = try await inspect(["--oci-layout", built.layout, "trace_signal", "--arch", "amd64"])
        try #require(signal.succeeded, "\(signal.standardError)")
        #expect(signal.standardOutput.contains("targ_signal: const volatile"), "\(signal.standardOutput)")
        #expect(signal.standardOutput.contains("key signal"), "\(signal.standardOutput)")
        #expect(signal.standardOutput.contains("amd64/linux: manifest sha256:") && !signal.standardOutput.contains("arm64/linux"), "\(signal.standardOutput)")
        #expect(signal.standardOutput.contains("tracer signal  (gadget_tracer_signal___events___event)"), "\(signal.standardOutput)")
    }

    @Test func errorsAreOneLineAndSayWhatToDo() async throws {
        let root = try Fixtures.temporaryDirectory("inspect-errors")
        defer { try? FileManager.default.removeItem(at: root) }
        let text = root.appendingPathComponent("notes.txt")
        try Data("not an object\n".utf8).write(to: text)
        let layout = root.appendingPathComponent("layout")
        let dummy = root.appendingPathComponent("dummy.o")
        try Data("\u{7f}ELF dummy".utf8).write(to: dummy)
        _ = try OCIImageStore(root: layout).add(GadgetImageContent(programs: ["amd64": dummy], metadata: Data("name: x\n".utf8), created: Date(timeIntervalSince1970: 0)),
                                               as: try ImageReference(parsing: "only:v1"))

        let cases: [([String], String)] = [
            ([text.path], "not an ELF file"),
            (["/bin/true"], "cannot open BPF object /bin/true"),
            (["--oci-layout", layout.path, "nosuch:v1"], "no image ghcr.io/inspektor-gadget/gadget/nosuch:v1 in \(layout.path) (it has ghcr.io/inspektor-gadget/gadget/only:v1)"),
            (["--oci-layout", root.appendingPathComponent("none").path, "x"], "is not an OCI image layout"),
            ([Fixtures.samples.appendingPathComponent("trace_exec").path], "gadgetc build"),
            // An image whose eBPF layer is no BPF object: libbpf's reason, on the blob's temporary copy.
            (["--oci-layout", layout.path, "only:v1"], "cannot open BPF object"),
            (["./missing.bpf.o"], "no such file"),
            (["--arch", "amd64", text.path], "--arch picks an image's manifests"),
        ]
        for (arguments, message) in cases {
            let result = try await inspect(arguments)
            let lines = result.standardError.split(separator: "\n")
            #expect(!result.succeeded && result.standardOutput.isEmpty, "\(arguments)")
            #expect(lines.count == 1 && lines[0].hasPrefix("error: ") && lines[0].contains(message), "\(arguments): \(result.standardError)")
        }
    }
}
