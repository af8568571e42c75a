import Foundation
import Testing
@testable import GadgetBuild

@Suite("Gadget image documents")
struct GadgetImageTests {
    @Test func mediaTypesAndStructureMatchIg() throws {
        let scratch = try OCIScratch()
        defer { scratch.remove() }
        let image = try OCIGadgetImage(try scratch.content())
        let index = try OCIJSON.parse(image.index.data)

        #expect(index["schemaVersion"] == .number("2"))
        #expect(index["mediaType"] == .string("application/vnd.oci.image.index.v1+json"))
        let entries = try #require(index["manifests"]?.arrayValue)
        #expect(entries.map { $0["platform"]?["architecture"]?.stringValue } == ["amd64", "arm64"])
        #expect(entries.allSatisfy { $0["platform"]?["os"] == .string("linux") })
        #expect(entries.allSatisfy { $0["mediaType"] == .string("application/vnd.oci.image.manifest.v1+json") })

        for (entry, arch) in zip(entries, ["amd64", "arm64"]) {
            let digest = try #require(entry["digest"]?.stringValue)
            #expect(image.manifests[arch] == digest)
            let manifestBlob = try #require(image.blobs.first { $0.digest == digest })
            #expect(entry["size"] == .int(manifestBlob.size))
            let manifest = try OCIJSON.parse(manifestBlob.data)
            #expect(manifest["mediaType"] == nil, "ig's manifests carry no mediaType member")
            #expect(manifest["artifactType"] == .string("application/vnd.gadget.v1+binary"))
            #expect(manifest["config"]?["mediaType"] == .string("application/vnd.gadget.config.v1+yaml"))
            let layers = try #require(manifest["layers"]?.arrayValue)
            #expect(layers.map { $0["mediaType"]?.stringValue } == [
                "application/vnd.gadget.ebpf.program.v1+binary", "application/vnd.gadget.wasm.program.v1+binary",
            ])
            #expect(layers.allSatisfy { $0["annotations"] == nil }, "ig sets no layer annotations")
            let program = try #require(image.blobs.first { $0.digest == layers[0]["digest"]?.stringValue })
            #expect(String(decoding: program.data, as: UTF8.self) == "\u{7f}ELF \(arch) object")
        }
    }

    @Test func annotationsComeFromGadgetYAMLAndSitOnConfigManifestsAndIndex() throws {
        let scratch = try OCIScratch()
        defer { scratch.remove() }
        let image = try OCIGadgetImage(try scratch.content())
        let expected: OCIJSON = .sortedObject([
            "org.opencontainers.image.created": "2023-11-14T22:13:20Z",
            "org.opencontainers.image.title": "trace open",
            "org.opencontainers.image.description": "Trace <open> & openat system calls",
            "org.opencontainers.image.url": "https://inspektor-gadget.io/",
            "org.opencontainers.image.documentation": "https://inspektor-gadget.io/docs/latest/gadgets/trace_open",
            "org.opencontainers.image.source": "https://github.com/inspektor-gadget/inspektor-gadget/tree/main/gadgets/trace_open",
        ])
        let index = try OCIJSON.parse(image.index.data)
        #expect(index["annotations"] == expected)
        for entry in index["manifests"]?.arrayValue ?? [] {
            #expect(entry["annotations"] == expected)
            let manifest = try OCIJSON.parse(image.blobs.first { $0.digest == entry["digest"]?.stringValue }!.data)
            #expect(manifest["annotations"] == expected)
            #expect(manifest["config"]?["annotations"] == expected)
        }
    }

    @Test func missingFieldsGiveEmptyAnnotationsAndOwnAnnotationsWin() throws {
        let yaml = """
            name: mini
            annotations:
              org.opencontainers.image.title: custom title
              io.example.count: 3
              io.example.nothing: ~
            """
        let annotations = try GadgetImageContent.annotations(fromMetadata: Data(yaml.utf8))
        #expect(annotations == [
            "org.opencontainers.image.title": "custom title",
            "org.opencontainers.image.description": "",
            "org.opencontainers.image.url": "",
            "org.opencontainers.image.documentation": "",
            "org.opencontainers.image.source": "",
            "io.example.count": "3",
            "io.example.nothing": "",
        ])
        // ig writes its own version as the builder version; gadget.yaml's annotations still win.
        let versioned = try GadgetImageContent.annotations(fromMetadata: Data("name: mini\n".utf8), builderVersion: "v0.51.1")
        #expect(versioned["io.inspektor-gadget.builder.version"] == "v0.51.1")
        let overridden = try GadgetImageContent.annotations(
            fromMetadata: Data("name: mini\nannotations:\n  io.inspektor-gadget.builder.version: v9.9.9\n".utf8), builderVersion: "v0.51.1")
        #expect(overridden["io.inspektor-gadget.builder.version"] == "v9.9.9")
        #expect(throws: OCIError.self) { try GadgetImageContent.annotations(fromMetadata: Data("- a\n- b\n".utf8)) }
        #expect(throws: OCIError.self) { try GadgetImageContent.annotations(fromMetadata: Data("name: [a]\n".utf8)) }
        #expect(throws: OCIError.self) { try GadgetImageContent.annotations(fromMetadata: Data("name: 'x\n".utf8)) }
    }

    @Test func withoutMetadataTheConfigIsTheEmptyDescriptorWithOnlyCreated() throws {
        let scratch = try OCIScratch()
        defer { scratch.remove() }
        let image = try OCIGadgetImage(try scratch.content(wasm: false, metadata: nil))
        let program = OCIBlob(Data("\u{7f}ELF amd64 object".utf8))
        let created = #"{"org.opencontainers.image.created":"2023-11-14T22:13:20Z"}"#
        // The exact bytes ig's json.Marshal of ocispec.Manifest gives (struct field order).
        let expected = #"{"schemaVersion":2,"artifactType":"application/vnd.gadget.v1+binary","config":{"#
            + #""mediaType":"application/vnd.oci.empty.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2,"#
            + #""annotations":\#(created),"data":"e30="},"layers":[{"mediaType":"application/vnd.gadget.ebpf.program.v1+binary","#
            + #""digest":"\#(program.digest)","size":\#(program.size)}],"annotations":\#(created)}"#
        let manifest = try #require(image.blobs.first { $0.digest == image.manifests["amd64"] })
        #expect(String(decoding: manifest.data, as: UTF8.self) == expected)
        #expect(image.blobs.contains { $0.data == Data("{}".utf8) }, "the empty blob is stored, as ig pushes it")
        let index = String(decoding: image.index.data, as: UTF8.self)
        #expect(index.hasPrefix(#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"\#(manifest.digest)","size":\#(manifest.size),"annotations":\#(created),"platform":{"architecture":"amd64","os":"linux"}}"#))
        #expect(index.hasSuffix(#"],"annotations":\#(created)}"#))
    }

    @Test func sameInputsAndDateGiveIdenticalBytes() throws {
        let scratch = try OCIScratch()
        defer { scratch.remove() }
        let first = try OCIGadgetImage(try scratch.content())
        let second = try OCIGadgetImage(try scratch.content())
        #expect(first.blobs == second.blobs)
        #expect(first.index.digest == second.index.digest)

        let later = try OCIGadgetImage(try scratch.content(created: Date(timeIntervalSince1970: 1_700_000_001)))
        #expect(later.index.digest != first.index.digest)
        #expect(Set(first.blobs.map(\.digest)).intersection(later.blobs.map(\.digest)).count == 4,
                "objects, wasm and gadget.yaml are shared; manifests and index change")
    }

    @Test func jsonIsEscapedLikeGoAndKeysSortedByBytes() throws {
        let value = OCIJSON.object([
            OCIJSONMember("s", .string("a/b <c> & \"q\" \\ \n\t\u{1} \u{2028} é")),
            OCIJSONMember("m", .sortedObject(["b": "1", "B": "2", "a": "3", "é": "4"])),
        ])
        #expect(String(decoding: value.encoded(), as: UTF8.self)
            == #"{"s":"a/b \u003cc\u003e \u0026 \"q\" \\ \n\t\u0001 \u2028 é","m":{"B":"2","a":"3","b":"1","é":"4"}}"#)
        #expect(try OCIJSON.parse(value.encoded()) == value)
    }

    @Test("SOURCE_DATE_EPOCH sets the creation time", arguments: [
        ("0", "1970-01-01T00:00:00Z"),
        ("1700000000", "2023-11-14T22:13:20Z"),
        ("+86400", "1970-01-02T00:00:00Z"),
        ("-1", "1969-12-31T23:59:59Z"),
    ])
    func sourceDateEpoch(value: String, expected: String) throws {
        let date = try GadgetImageContent.creationDate(environment: ["SOURCE_DATE_EPOCH": value])
        #expect(GadgetImageContent.rfc3339(date) == expected)
    }

    @Test func withoutSourceDateEpochNowIsUsedAndInvalidValuesFail() throws {
        let now = Date(timeIntervalSince1970: 1_234_567_890.75)
        #expect(try GadgetImageContent.creationDate(environment: [:], now: now) == now)
        #expect(GadgetImageContent.rfc3339(now) == "2009-02-13T23:31:30Z")
        for bad in ["", "abc", "1.5", "12 ", "99999999999999999999"] {
            #expect {
                try GadgetImageContent.creationDate(environment: ["SOURCE_DATE_EPOCH": bad])
            } throws: { ($0 as? OCIError)?.code == .invalidSourceDateEpoch }
        }
    }

    @Test func contentWithoutProgramsOrWithAMissingFileFails() throws {
        let scratch = try OCIScratch()
        defer { scratch.remove() }
        #expect { try OCIGadgetImage(GadgetImageContent(programs: [:], annotations: [:], created: Date())) }
            throws: { ($0 as? OCIError)?.code == .noPrograms }
        var nothing = GadgetImageContent(programs: [:], annotations: [:], created: Date())
        nothing.architectures = ["amd64"]
        #expect { try OCIGadgetImage(nothing) } throws: { ($0 as? OCIError)?.code == .noPrograms }
        let missing = GadgetImageContent(programs: ["amd64": scratch.root.appendingPathComponent("nope.o")],
                                         annotations: [:], created: Date())
        #expect { try OCIGadgetImage(missing) } throws: {
            guard let error = $0 as? OCIError else { return false }
            return error.code == .unreadableInput && error.description.contains("nope.o")
        }
    }

    /// As ig builds a gadget without program.bpf.c: one manifest per arch asked for, the wasm module its only layer.
    @Test func aGadgetWithoutEBPFHasTheWasmModuleAsItsOnlyLayer() throws {
        let scratch = try OCIScratch()
        defer { scratch.remove() }
        let module = scratch.root.appendingPathComponent("program.wasm")
        try Data([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]).write(to: module)
        var content = GadgetImageContent(programs: [:], wasm: module, metadata: Data("name: w\n".utf8), annotations: [:], created: Date(timeIntervalSince1970: 0))
        content.architectures = ["arm64", "amd64"]
        let image = try OCIGadgetImage(content)
        #expect(image.manifests.keys.sorted() == ["amd64", "arm64"])
        for digest in image.manifests.values {
            let blob = try #require(image.blobs.first { $0.digest == digest })
            let manifest = try #require(try JSONSerialization.jsonObject(with: blob.data) as? [String: Any])
            let layers = try #require(manifest["layers"] as? [[String: Any]])
            #expect(layers.map { $0["mediaType"] as? String } == [GadgetMediaType.wasmProgram])
        }
    }
}
