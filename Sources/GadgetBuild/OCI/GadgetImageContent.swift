import Foundation
import Yams

/// What goes into a gadget image: the per-architecture eBPF objects, the optional wasm module,
/// gadget.yaml, the image annotations and the creation time.
public struct GadgetImageContent: Sendable {
    /// Architecture (`amd64`, `arm64`) → linked eBPF object.
    public var programs: [String: URL]
    /// The architectures that get a manifest: those of `programs`, or, for a gadget without eBPF (a wasm
    /// module or gadget.yaml only, as ig builds them), the ones asked for.
    public var architectures: [String] = []
    /// Optional wasm module, put into every architecture's manifest.
    public var wasm: URL?
    /// gadget.yaml bytes, stored as the config blob; without it the config is the OCI empty descriptor.
    public var metadata: Data?
    /// Architecture → btfgen layer (`--btfgen`), put into that architecture's manifest after the wasm module.
    public var btfgen: [String: URL] = [:]
    /// Annotations of the config descriptor, every manifest and the index (ig puts the same map in
    /// all of them). `org.opencontainers.image.created` is added from `created`.
    public var annotations: [String: String]
    /// Creation time, written as RFC 3339 UTC with whole seconds.
    public var created: Date

    /// Content with annotations chosen by the caller.
    public init(programs: [String: URL], wasm: URL? = nil, metadata: Data? = nil, btfgen: [String: URL] = [:],
                annotations: [String: String], created: Date) {
        self.programs = programs
        self.wasm = wasm
        self.metadata = metadata
        self.btfgen = btfgen
        self.annotations = annotations
        self.created = created
    }

    /// Content with the annotations ig derives from gadget.yaml (none when there is no gadget.yaml).
    public init(programs: [String: URL], wasm: URL? = nil, metadata: Data? = nil, created: Date) throws {
        self.init(programs: programs, wasm: wasm, metadata: metadata,
                  annotations: try metadata.map { try GadgetImageContent.annotations(fromMetadata: $0) } ?? [:],
                  created: created)
    }

    /// The annotations ig derives from gadget.yaml (pkg/oci/build.go, `annotationsFromMetadata`):
    /// title, description, url, documentation and source from `name`, `description`,
    /// `homepageURL`, `documentationURL` and `sourceURL` — present even when empty — then every
    /// entry of gadget.yaml's own `annotations:` map, which wins over those five. `builderVersion` is
    /// the ig release whose image format and headers the build matches: ig writes its own version as
    /// `io.inspektor-gadget.builder.version`, and `ig run` warns about an image without it.
    public static func annotations(fromMetadata metadata: Data, builderVersion: String? = nil) throws -> [String: String] {
        guard let text = String(data: metadata, encoding: .utf8) else {
            throw OCIError.invalidMetadata("it is not UTF-8 text")
        }
        let root: Node?
        do {
            root = try Yams.compose(yaml: text, .untyped)
        } catch {
            throw OCIError.invalidMetadata(String(describing: error).split(separator: "\n").joined(separator: " "))
        }
        guard let root else { throw OCIError.invalidMetadata("it is empty") }
        guard let mapping = root.mapping else { throw OCIError.invalidMetadata("its top level is not a mapping") }

        func scalar(_ key: String) throws -> String {
            guard let node = mapping[key] else { return "" }
            guard node.scalar != nil else {
                throw OCIError.invalidMetadata("`\(key)` must be a single value, not a list or a mapping")
            }
            return scalarText(node)
        }

        var annotations = [
            OCIAnnotation.title: try scalar("name"),
            OCIAnnotation.description: try scalar("description"),
            OCIAnnotation.url: try scalar("homepageURL"),
            OCIAnnotation.documentation: try scalar("documentationURL"),
            OCIAnnotation.source: try scalar("sourceURL"),
        ]
        if let builderVersion { annotations[OCIAnnotation.igBuilderVersion] = builderVersion }
        if let extra = mapping["annotations"], !isNull(extra) {
            guard let extraMapping = extra.mapping else {
                throw OCIError.invalidMetadata("`annotations` must be a mapping of names to values")
            }
            for (key, value) in extraMapping {
                guard let keyText = key.scalar?.string, value.scalar != nil else {
                    throw OCIError.invalidMetadata("`annotations` must map names to single values")
                }
                annotations[keyText] = scalarText(value)
            }
        }
        return annotations
    }

    /// A scalar as the text a Go string field receives from yaml.v2: the literal value, or "" for null.
    private static func scalarText(_ node: Node) -> String {
        guard let scalar = node.scalar, !isNull(node) else { return "" }
        return scalar.string
    }

    /// A plain `~`, `null` or empty scalar: YAML's null.
    private static func isNull(_ node: Node) -> Bool {
        guard let scalar = node.scalar, scalar.style == .plain else { return false }
        return ["", "~", "null", "Null", "NULL"].contains(scalar.string)
    }

    /// The creation time ig uses: `SOURCE_DATE_EPOCH` (seconds since 1970, for reproducible
    /// images) when it is set, otherwise `now`. A set but invalid value is an error, as in ig.
    public static func creationDate(environment: [String: String], now: Date = Date()) throws -> Date {
        guard let value = environment["SOURCE_DATE_EPOCH"] else { return now }
        guard let seconds = parseGoInt64(value) else { throw OCIError.invalidSourceDateEpoch(value) }
        return Date(timeIntervalSince1970: TimeInterval(seconds))
    }

    /// Parses like Go's `strconv.ParseInt(s, 10, 64)`: an optional sign, then decimal digits.
    private static func parseGoInt64(_ text: String) -> Int64? {
        var digits = Substring(text)
        var negative = false
        if let first = digits.first, first == "+" || first == "-" {
            negative = first == "-"
            digits = digits.dropFirst()
        }
        guard !digits.isEmpty, digits.utf8.allSatisfy({ (0x30...0x39).contains($0) }) else { return nil }
        guard let magnitude = UInt64(digits) else { return nil }
        if negative {
            guard magnitude <= UInt64(Int64.max) + 1 else { return nil }
            return magnitude == UInt64(Int64.max) + 1 ? Int64.min : -Int64(magnitude)
        }
        guard magnitude <= UInt64(Int64.max) else { return nil }
        return Int64(magnitude)
    }

    /// `date` as RFC 3339 in UTC with whole seconds, e.g. `2024-01-02T03:04:05Z` (what ig writes
    /// for SOURCE_DATE_EPOCH; Go's `time.Unix(n, 0).UTC().Format(time.RFC3339)`).
    public static func rfc3339(_ date: Date) -> String {
        var seconds = time_t(floor(date.timeIntervalSince1970))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02dZ",
                      Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1, Int(parts.tm_mday),
                      Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec))
    }
}
