import Foundation
import Yams

/// The optional `build.yaml` of a gadget: which files make it. Keys as in ig: `ebpfsource`, `metadata`, `wasm`.
public struct BuildFile: Equatable, Sendable {
    public static let defaultEBPFSource = "program.bpf.c"
    public static let defaultMetadata = "gadget.yaml"
    public static let knownKeys: Set<String> = ["ebpfsource", "metadata", "wasm"]

    public var ebpfSource: String
    public var metadata: String
    public var wasm: String?

    public init(ebpfSource: String = defaultEBPFSource, metadata: String = defaultMetadata, wasm: String? = nil) {
        self.ebpfSource = ebpfSource
        self.metadata = metadata
        self.wasm = wasm
    }

    /// Parses build.yaml text; `origin` names the file in errors.
    public init(yaml text: String, origin: String) throws {
        self.init()
        let node: Node?
        do {
            node = try Yams.compose(yaml: text, .untyped)
        } catch {
            throw MetadataError.invalidYAML(file: origin, reason: MetadataError.describe(yamlError: error))
        }
        guard let node else { return }  // an empty build.yaml means all defaults
        guard let mapping = node.mapping else {
            throw MetadataError.notAMapping(file: origin)
        }
        for (keyNode, valueNode) in mapping {
            guard let key = keyNode.string else { throw MetadataError.notAMapping(file: origin) }
            guard Self.knownKeys.contains(key) else {
                throw MetadataError.unknownBuildKey(file: origin, key: key)
            }
            guard let value = valueNode.scalar?.string else {
                throw MetadataError.expectedString(file: origin, key: key)
            }
            switch key {
            case "ebpfsource": ebpfSource = value
            case "metadata": metadata = value
            default: wasm = value.isEmpty ? nil : value
            }
        }
        if ebpfSource.isEmpty { ebpfSource = Self.defaultEBPFSource }
        if metadata.isEmpty { metadata = Self.defaultMetadata }
    }
}

extension Resolver {
    /// For reading build.yaml and gadget.yaml, whose values gadgetc takes as text (`.string`, `.bool`
    /// and `.int` parse the text; no scalar's type is asked): Yams' default resolver compiles its
    /// regular expressions on first use, 1.3 ms of every build measured here. `MetadataUpdater`, which
    /// writes YAML back and must quote like the default resolver, keeps the default.
    static let untyped = Resolver.basic
}
