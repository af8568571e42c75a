import Foundation

/// What `gadgetc inspect IMAGE` shows: the image's index and annotations, and per arch its manifest
/// (layers with media types, sizes, digests; annotations) and the eBPF layer's object, inspected as a
/// file would be, with the params of the image's own gadget.yaml.
public struct ImageInspection: Codable, Equatable, Sendable {
    public struct PerArchitecture: Codable, Equatable, Sendable {
        public var manifest: StoredManifest
        /// The eBPF layer's object; nil when the manifest has none (a wasm-only gadget).
        public var object: ObjectInspection?
    }

    /// The store or layout it was read from.
    public var store: String
    public var image: StoredImage
    /// `name` and `description` of the image's gadget.yaml (its config blob), when it has one.
    public var gadgetName: String?
    public var gadgetDescription: String?
    public var architectures: [PerArchitecture]
}

public enum ImageInspector {
    /// Reads `reference` from `store`; `architectures` (nil: all) picks manifests. Every blob read is
    /// checked against its digest; errors are `OCIError` or `BPFError` lines.
    public static func inspect(_ reference: ImageReference, store: OCIImageStore, architectures: [Architecture]? = nil) throws -> ImageInspection {
        let image = try store.image(reference)
        let wanted = architectures.map { Set($0.map(\.rawValue)) }
        let manifests = image.manifests.filter { wanted?.contains($0.architecture) ?? true }
        if let architectures, manifests.isEmpty {
            throw OCIError(.imageNotFound, "image \(reference) has no manifest for \(architectures.map(\.rawValue).joined(separator: ", ")) (it has \(image.manifests.map(\.architecture).joined(separator: ", "))); pick one of those with --arch")
        }
        // gadget.yaml is the same config blob in every manifest: read it once.
        var metadata: GadgetMetadata?
        if let config = manifests.compactMap(\.config).first(where: { $0.mediaType == GadgetMediaType.config }) {
            metadata = try? GadgetMetadata(bytes: try store.blob(config.digest), origin: "gadget.yaml of \(reference)")
        }
        var results: [ImageInspection.PerArchitecture] = []
        for manifest in manifests {
            var object: ObjectInspection?
            if let layer = manifest.layers.first(where: { $0.mediaType == GadgetMediaType.eBPFProgram }) {
                do {
                    object = try ObjectInspector.inspect(bytes: try store.blob(layer.digest), name: "\(manifest.architecture.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) } ? manifest.architecture : "object").bpf.o", metadata: metadata)
                } catch var error as BPFError {
                    // Name the layer, not the temporary file libbpf read it from.
                    error.file = "\(layer.digest) (the \(manifest.architecture) eBPF layer of \(reference))"
                    throw error
                }
            }
            results.append(.init(manifest: manifest, object: object))
        }
        return ImageInspection(store: store.root.path, image: image, gadgetName: metadata?.name, gadgetDescription: metadata?.description,
                               architectures: results)
    }

    /// The eBPF object of `reference`'s manifest for `arch`, its bytes checked against the layer's digest.
    public static func object(_ reference: ImageReference, store: OCIImageStore, arch: Architecture) throws -> Data {
        let image = try store.image(reference)
        guard let manifest = image.manifests.first(where: { $0.architecture == arch.rawValue }) else {
            throw OCIError(.imageNotFound, "image \(reference) has no manifest for \(arch.rawValue), this host's arch (it has \(image.manifests.map(\.architecture).joined(separator: ", "))): build it with --arch \(arch.rawValue)")
        }
        guard let layer = manifest.layers.first(where: { $0.mediaType == GadgetMediaType.eBPFProgram }) else {
            throw OCIError(.imageNotFound, "image \(reference) has no eBPF layer for \(arch.rawValue) (a wasm-only gadget?): nothing for the verifier")
        }
        return try store.blob(layer.digest)
    }
}
