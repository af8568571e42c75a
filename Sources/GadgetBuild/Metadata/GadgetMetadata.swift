import Foundation
import Yams

/// The parts of gadget.yaml that gadgetc reads: identity for the image annotations, and the eBPF params
/// and data sources it validates against the built object. The file's bytes are packaged unchanged.
public struct GadgetMetadata: Equatable, Sendable {
    public var name: String?
    public var description: String?
    public var homepageURL: String?
    public var documentationURL: String?
    public var sourceURL: String?
    /// `params.ebpf`: variable name → the user-facing key ("" when the entry lacks one).
    public var ebpfParams: [String: String]
    /// Names under `datasources`.
    public var dataSources: [String]
    /// What each entry under `datasources` says: its field names, in order, and annotations.
    public var dataSourceEntries: [String: DataSource] = [:]
    /// The file exactly as read.
    public var bytes: Data

    public init(bytes: Data, origin: String) throws {
        self.bytes = bytes
        guard let text = String(data: bytes, encoding: .utf8) else {
            throw MetadataError.invalidYAML(file: origin, reason: "not UTF-8 text")
        }
        let root: Node?
        do { root = try Yams.compose(yaml: text, .untyped) } catch {
            throw MetadataError.invalidYAML(file: origin, reason: MetadataError.describe(yamlError: error))
        }
        guard let root else {
            self.ebpfParams = [:]
            self.dataSources = []
            return
        }
        guard let mapping = root.mapping else { throw MetadataError.notAMapping(file: origin) }
        try MetadataShape.check(mapping, origin: origin)
        name = mapping["name"]?.string
        description = mapping["description"]?.string
        homepageURL = mapping["homepageURL"]?.string
        documentationURL = mapping["documentationURL"]?.string
        sourceURL = mapping["sourceURL"]?.string
        var params: [String: String] = [:]
        if let ebpf = mapping["params"]?.mapping?["ebpf"]?.mapping {
            for (variable, entry) in ebpf {
                guard let variableName = variable.string else { continue }
                params[variableName] = entry.mapping?["key"]?.string ?? ""
            }
        }
        ebpfParams = params
        dataSources = mapping["datasources"]?.mapping?.keys.compactMap(\.string) ?? []
        for (key, value) in mapping["datasources"]?.mapping ?? [:] {
            guard let name = key.string else { continue }
            dataSourceEntries[name] = DataSource(value.mapping)
        }
    }

    /// One entry under `datasources`.
    public struct DataSource: Equatable, Sendable {
        /// Field names (full paths, `proc.comm`) in the file's order.
        public var fields: [String] = []
        /// Each field's annotations (`formatters.signal.target: signal_name`, …), values as text.
        public var fieldAnnotations: [String: [String: String]] = [:]
        /// The data source's own annotations (`ebpf.rest.name`, …).
        public var annotations: [String: String] = [:]

        public init(fields: [String] = [], fieldAnnotations: [String: [String: String]] = [:], annotations: [String: String] = [:]) {
            self.fields = fields
            self.fieldAnnotations = fieldAnnotations
            self.annotations = annotations
        }

        init(_ mapping: Node.Mapping?) {
            annotations = Self.texts(mapping?["annotations"]?.mapping)
            for (key, value) in mapping?["fields"]?.mapping ?? [:] {
                guard let field = key.string else { continue }
                fields.append(field)
                let texts = Self.texts(value.mapping?["annotations"]?.mapping)
                if !texts.isEmpty { fieldAnnotations[field] = texts }
            }
        }

        static func texts(_ mapping: Node.Mapping?) -> [String: String] {
            var result: [String: String] = [:]
            for (key, value) in mapping ?? [:] {
                if let name = key.string, let text = value.scalar?.string { result[name] = text }
            }
            return result
        }
    }

    public init(contentsOf url: URL) throws {
        let data: Data
        do { data = try RegularFile.read(url.path) } catch let failure as RegularFile.Failure {
            throw MetadataError.unreadable(path: url.path, reason: failure.reason)
        }
        try self.init(bytes: data, origin: url.lastPathComponent)
    }
}
