import Crypto
import Foundation

/// A content-addressed blob held in memory until it is written to a layout.
struct OCIBlob: Equatable, Sendable {
    let data: Data
    /// `sha256:<hex>`.
    let digest: String

    init(_ data: Data) {
        self.data = data
        self.digest = OCIBlob.digest(of: data)
    }

    var size: Int { data.count }

    /// The hex part of the digest, which is the file name under blobs/sha256.
    var encoded: String { String(digest.dropFirst("sha256:".count)) }

    static func digest(of data: Data) -> String {
        "sha256:" + SHA256.hash(data: data).map { byte in
            let hex = String(byte, radix: 16)
            return byte < 0x10 ? "0" + hex : hex
        }.joined()
    }
}

/// The documents and blobs of one gadget image, built in memory exactly as ig builds them
/// (pkg/oci/build.go), so that the same inputs give the same bytes and the same digests as ig.
///
/// Per architecture (sorted, as ig sorts them) a manifest
/// `{schemaVersion, artifactType, config, layers, annotations}` whose config is gadget.yaml (or the
/// OCI empty descriptor with inline data) carrying the annotations, and whose layers are the eBPF
/// object and, if any, the wasm module, without annotations. The index lists the manifests with
/// their platform and carries the first manifest's annotations; with `--btfgen`, each manifest's last layer
/// is that arch's BTF tarball; its descriptor (what a tag points
/// to) carries them too. Field order follows the Go structs of image-spec v1.1, maps are sorted by
/// key, strings are escaped like `encoding/json`.
struct OCIGadgetImage: Sendable {
    /// Every blob the image needs, index last; duplicates (shared config, wasm) appear once.
    let blobs: [OCIBlob]
    /// The index blob.
    let index: OCIBlob
    /// The descriptor of the index, as a tag entry of index.json carries it (before `ref.name`).
    let indexAnnotations: [String: String]
    /// Architecture → manifest digest.
    let manifests: [String: String]

    /// Reads the input files and builds all documents. Reads everything before anything is
    /// written, so a missing file fails here and leaves every layout untouched.
    init(_ content: GadgetImageContent) throws {
        let named = content.programs.isEmpty ? content.architectures : Array(content.programs.keys)
        // An image needs an architecture and something in it: eBPF, a wasm module or gadget.yaml.
        guard !named.isEmpty, !content.programs.isEmpty || content.wasm != nil || content.metadata != nil else { throw OCIError.noPrograms() }
        let architectures = Set(named).sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
        for arch in architectures where !OCIGadgetImage.isValidArchitecture(arch) {
            throw OCIError.invalidArchitecture(arch)
        }

        var annotations = content.annotations
        annotations[OCIAnnotation.created] = GadgetImageContent.rfc3339(content.created)

        var blobs: [OCIBlob] = []
        func add(_ blob: OCIBlob) {
            if !blobs.contains(where: { $0.digest == blob.digest }) { blobs.append(blob) }
        }

        let config: OCIJSON
        if let metadata = content.metadata {
            let blob = OCIBlob(metadata)
            add(blob)
            config = OCIGadgetImage.descriptor(mediaType: GadgetMediaType.config, blob: blob, annotations: annotations)
        } else {
            let blob = OCIBlob(Data("{}".utf8))
            add(blob)
            config = OCIGadgetImage.descriptor(mediaType: OCIMediaType.empty, blob: blob, annotations: annotations,
                                            inlineData: true)
        }

        var wasmLayer: OCIJSON?
        if let wasm = content.wasm {
            let blob = OCIBlob(try OCIGadgetImage.read(wasm, what: "wasm module"))
            add(blob)
            wasmLayer = OCIGadgetImage.descriptor(mediaType: GadgetMediaType.wasmProgram, blob: blob)
        }

        var manifestDescriptors: [OCIJSON] = []
        var manifests: [String: String] = [:]
        for arch in architectures {
            var layers: [OCIJSON] = []
            if let object = content.programs[arch] {
                let program = OCIBlob(try OCIGadgetImage.read(object, what: "\(arch) eBPF object"))
                add(program)
                layers.append(OCIGadgetImage.descriptor(mediaType: GadgetMediaType.eBPFProgram, blob: program))
            }
            if let wasmLayer { layers.append(wasmLayer) }
            if let btfgen = content.btfgen[arch] {
                let blob = OCIBlob(try OCIGadgetImage.read(btfgen, what: "\(arch) btfgen layer"))
                add(blob)
                layers.append(OCIGadgetImage.descriptor(mediaType: GadgetMediaType.btfgen, blob: blob))
            }

            let manifest = OCIJSON.object([
                OCIJSONMember("schemaVersion", .int(2)),
                OCIJSONMember("artifactType", .string(GadgetMediaType.artifact)),
                OCIJSONMember("config", config),
                OCIJSONMember("layers", .array(layers)),
                OCIJSONMember("annotations", .sortedObject(annotations)),
            ])
            let manifestBlob = OCIBlob(manifest.encoded())
            add(manifestBlob)
            manifests[arch] = manifestBlob.digest
            manifestDescriptors.append(OCIGadgetImage.descriptor(
                mediaType: OCIMediaType.imageManifest, blob: manifestBlob, annotations: annotations,
                platform: .object([OCIJSONMember("architecture", .string(arch)), OCIJSONMember("os", .string("linux"))])))
        }

        let index = OCIJSON.object([
            OCIJSONMember("schemaVersion", .int(2)),
            OCIJSONMember("mediaType", .string(OCIMediaType.imageIndex)),
            OCIJSONMember("manifests", .array(manifestDescriptors)),
            OCIJSONMember("annotations", .sortedObject(annotations)),
        ])
        let indexBlob = OCIBlob(index.encoded())
        add(indexBlob)

        self.blobs = blobs
        self.index = indexBlob
        self.indexAnnotations = annotations
        self.manifests = manifests
    }

    /// The index descriptor for index.json, tagged with `refName`.
    func indexDescriptor(refName: String) -> OCIJSON {
        var annotations = indexAnnotations
        annotations[OCIAnnotation.refName] = refName
        return OCIGadgetImage.descriptor(mediaType: OCIMediaType.imageIndex, blob: index, annotations: annotations)
    }

    /// A descriptor with the members of image-spec v1.1's Go `Descriptor` in their declared order:
    /// mediaType, digest, size, annotations, data, platform.
    static func descriptor(mediaType: String, blob: OCIBlob, annotations: [String: String] = [:],
                           inlineData: Bool = false, platform: OCIJSON? = nil) -> OCIJSON {
        var members = [
            OCIJSONMember("mediaType", .string(mediaType)),
            OCIJSONMember("digest", .string(blob.digest)),
            OCIJSONMember("size", .int(blob.size)),
        ]
        if !annotations.isEmpty { members.append(OCIJSONMember("annotations", .sortedObject(annotations))) }
        if inlineData { members.append(OCIJSONMember("data", .string(blob.data.base64EncodedString()))) }
        if let platform { members.append(OCIJSONMember("platform", platform)) }
        return .object(members)
    }

    private static func read(_ url: URL, what: String) throws -> Data {
        do {
            return try Data(contentsOf: url)
        } catch {
            throw OCIError.unreadableInput(what, url, error)
        }
    }

    /// Lowercase letters, digits and '_' (amd64, arm64, riscv64, …).
    private static func isValidArchitecture(_ arch: String) -> Bool {
        !arch.isEmpty && arch.utf8.allSatisfy {
            (0x30...0x39).contains($0) || (0x61...0x7A).contains($0) || $0 == UInt8(ascii: "_")
        }
    }
}
