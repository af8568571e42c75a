import Foundation

/// The data sources and fields a gadget's wasm module adds, read from its Go or Rust source: ig's wasm
/// API (`wasmapi/go`, `wasmapi/rust`) takes them by name at run time, so only a source that spells the
/// names out can be read. `api.GetDataSource("dns")` / `DataSource::get_datasource("mount".to_string())`
/// bind a variable to a data source, `api.NewDataSource("deadlock", …)` / `new_datasource` make one, and
/// `VAR.AddField("id", …)` / `VAR.add_field("call", …)` add fields to it; `VAR.AddField(info.name, …)`
/// adds the `name: "…"` entries of a table written between the binding and the call (traceloop's).
public struct WasmDeclaredFields: Equatable, Sendable {
    /// Data source → fields, in source order.
    public var fields: [String: [String]] = [:]
    /// Data sources the module makes (not ones it only takes from the eBPF program), in source order.
    public var createdDataSources: [String] = []
    /// Data sources the module adds fields to that the source does not name (`AddField(name, …)`,
    /// a data source bound from a variable): validation cannot know all their fields. `"*"`: any.
    public var openDataSources: Set<String> = []

    public init(fields: [String: [String]] = [:], createdDataSources: [String] = [], openDataSources: Set<String> = []) {
        self.fields = fields
        self.createdDataSources = createdDataSources
        self.openDataSources = openDataSources
    }

    /// What nobody can read: a prebuilt module.
    public static let unknown = WasmDeclaredFields(openDataSources: ["*"])

    /// Whether gadget.yaml may list `field` under `dataSource` because of the module.
    public func mayDeclare(_ field: String, in dataSource: String) -> Bool {
        openDataSources.contains("*") || openDataSources.contains(dataSource) || fields[dataSource]?.contains(field) == true
    }

    /// Reads the module's source (every .go or .rs file in its folder, for Go packages and Rust crates
    /// split over files); nil when there is no wasm.
    public static func read(_ wasm: WasmSource?) -> WasmDeclaredFields? {
        guard let wasm else { return nil }
        let folder: URL
        let suffix: String
        switch wasm {
        case .module: return .unknown
        case .go(let source): folder = source.deletingLastPathComponent(); suffix = ".go"
        case .rust(let source, _): folder = source.deletingLastPathComponent(); suffix = ".rs"
        }
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [])
            .filter { $0.hasSuffix(suffix) && !$0.hasSuffix("_test.go") }.sorted()
        let text = names.compactMap { try? String(contentsOf: folder.appendingPathComponent($0), encoding: .utf8) }
            .joined(separator: "\n")
        return parse(text)
    }

    // Patterns over the wasm API's calls; a quoted name is the only kind read.
    private static let binding = try! NSRegularExpression(
        pattern: #"([A-Za-z_][A-Za-z0-9_]*)\s*(?:,\s*[A-Za-z_][A-Za-z0-9_]*\s*)?:?=\s*(?:match\s+)?(?:api\.|DataSource::)(GetDataSource|NewDataSource|get_datasource|new_datasource)\s*\(\s*"([^"]+)""#)
    private static let addition = try! NSRegularExpression(
        pattern: #"([A-Za-z_][A-Za-z0-9_]*)\s*\.\s*(?:AddField|add_field)\s*\(\s*("([^"]*)"|[^,)]*)"#)

    static func parse(_ text: String) -> WasmDeclaredFields {
        var result = WasmDeclaredFields()
        var variables: [String: String] = [:]
        var bound: [String: Int] = [:]  // variable → where it was bound to its data source
        let whole = NSRange(text.startIndex..., in: text)
        var events: [(location: Int, apply: () -> Void)] = []
        for match in binding.matches(in: text, range: whole) {
            let variable = String(text[Range(match.range(at: 1), in: text)!])
            let call = String(text[Range(match.range(at: 2), in: text)!])
            let name = String(text[Range(match.range(at: 3), in: text)!])
            events.append((match.range.location, {
                variables[variable] = name
                bound[variable] = match.range.location
                if call.lowercased().hasPrefix("new"), !result.createdDataSources.contains(name) { result.createdDataSources.append(name) }
            }))
        }
        for match in addition.matches(in: text, range: whole) {
            let variable = String(text[Range(match.range(at: 1), in: text)!])
            let literal = Range(match.range(at: 3), in: text).map { String(text[$0]) }
            let argument = String(text[Range(match.range(at: 2), in: text)!])
            events.append((match.range.location, {
                guard let dataSource = variables[variable] else {
                    result.openDataSources.insert("*")
                    return
                }
                func add(_ name: String) {
                    if result.fields[dataSource, default: []].contains(name) == false { result.fields[dataSource, default: []].append(name) }
                }
                guard let literal, !literal.isEmpty else {
                    // A name taken from a table (`for _, f := range fields { ds.AddField(f.name, …) }`): the
                    // table's `name: "…"` entries between the binding and the call. Other names may come too.
                    result.openDataSources.insert(dataSource)
                    if let start = bound[variable] {
                        tableNames(argument, in: text, range: NSRange(location: start, length: match.range.location - start)).forEach(add)
                    }
                    return
                }
                add(literal)
            }))
        }
        for event in events.sorted(by: { $0.location < $1.location }) { event.apply() }
        return result
    }

    /// The literals keyed like the last identifier of `argument` (`fieldInfo.name` → `name: "…"`) in `range` of `text`.
    static func tableNames(_ argument: String, in text: String, range: NSRange) -> [String] {
        guard let key = argument.split(separator: ".").last?.trimmingCharacters(in: .whitespaces),
              key.range(of: #"^[A-Za-z_][A-Za-z0-9_]*$"#, options: .regularExpression) != nil,
              let entry = try? NSRegularExpression(pattern: #"\b"# + key + #"\s*:\s*"([^"]+)""#)
        else { return [] }
        return entry.matches(in: text, range: range).compactMap { Range($0.range(at: 1), in: text).map { String(text[$0]) } }
    }
}
