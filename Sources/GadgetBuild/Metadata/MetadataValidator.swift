/// Checks gadget.yaml and the gadget's markers against what the built object really holds, the way
/// ig's `--validate-metadata` does: params name `const volatile` globals, tracers name ring buffers or
/// perf arrays and existing structs, map iterators name hash maps.
public struct MetadataValidator: Sendable {
    public init() {}

    /// Problems found, each one short clause; empty when the metadata matches.
    public func problems(metadata: GadgetMetadata?, object: BPFObjectSummary) -> [String] {
        var problems: [String] = []
        if let metadata {
            for (variable, key) in metadata.ebpfParams.sorted(by: { $0.key < $1.key }) {
                problems += paramProblems(variable, object: object)
                if key.isEmpty { problems.append("param '\(variable)' has no key") }
            }
        }
        for marker in object.variables.map(\.name) {
            if let tracer = Self.split(marker, prefix: "gadget_tracer_"), tracer.count == 3 {
                let (name, mapName, typeName) = (tracer[0], tracer[1], tracer[2])
                if let map = object.map(named: mapName) {
                    if !["ringbuf", "perf_event_array"].contains(map.type) {
                        problems.append("tracer '\(name)' uses map '\(mapName)' of type \(map.type), but a tracer needs a ringbuf or perf_event_array map")
                    }
                } else {
                    problems.append("tracer '\(name)' names map '\(mapName)', which the object does not define")
                }
                if object.structure(named: typeName) == nil {
                    problems.append("tracer '\(name)' names struct '\(typeName)', which is not in the object's BTF")
                }
            } else if let iterator = Self.split(marker, prefix: "gadget_mapiter_"), iterator.count == 2 {
                let (name, mapName) = (iterator[0], iterator[1])
                if let map = object.map(named: mapName) {
                    if !map.type.hasPrefix("hash") && !map.type.hasPrefix("lru_hash") {
                        problems.append("map iterator '\(name)' uses map '\(mapName)' of type \(map.type), but it needs a hash map")
                    }
                } else {
                    problems.append("map iterator '\(name)' names map '\(mapName)', which the object does not define")
                }
            } else if marker.hasPrefix("gadget_param_") {
                let variable = String(marker.dropFirst("gadget_param_".count))
                problems += paramProblems(variable, object: object)
            }
        }
        var seen = Set<String>()
        return problems.filter { seen.insert($0).inserted }
    }

    func paramProblems(_ variable: String, object: BPFObjectSummary) -> [String] {
        var problems: [String] = []
        if let found = object.variable(named: variable) {
            if !found.isConstVolatile {
                problems.append("param '\(variable)' must be a global 'const volatile' variable, but it is '\(found.typeName)' in \(found.section)")
            }
        } else {
            problems.append("param '\(variable)' names no global variable of the object")
        }
        return problems
    }

    /// "gadget_tracer_exec___events___event" → ["exec", "events", "event"].
    static func split(_ marker: String, prefix: String) -> [String]? {
        guard marker.hasPrefix(prefix) else { return nil }
        return marker.dropFirst(prefix.count).components(separatedBy: "___")
    }
}
