/// Checks gadget.yaml and the gadget's markers against what the built object really holds, the way
/// ig's `--validate-metadata` does: params name `const volatile` globals, tracers name ring buffers or
/// perf arrays and existing structs, map iterators name hash maps.
public struct MetadataValidator: Sendable {
    public init() {}

    /// Problems found, each one short clause; empty when the metadata matches. `wasm` is what the
    /// gadget's wasm module adds (nil: it has none), so that fields it declares are no mistake.
    public func problems(metadata: GadgetMetadata?, object: BPFObjectSummary, wasm: WasmDeclaredFields? = nil) -> [String] {
        var problems: [String] = []
        if let metadata {
            for (variable, key) in metadata.ebpfParams.sorted(by: { $0.key < $1.key }) {
                problems += paramProblems(variable, object: object)
                if key.isEmpty { problems.append("param '\(variable)' has no key") }
            }
            problems += unknownFields(metadata, object: object, wasm: wasm).filter(\.isLikelyMisspelling).map(\.text)
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
            } else if let iterator = Self.split(marker, prefix: "gadget_iter_") ?? Self.split(marker, prefix: "gadget_snapshotter_"),
                      iterator.count >= 2 {
                let name = iterator[0]
                if object.structure(named: iterator[1]) == nil {
                    problems.append("iterator '\(name)' names struct '\(iterator[1])', which is not in the object's BTF")
                }
                if iterator.count == 2 { problems.append("iterator '\(name)' names no program") }
                for program in iterator.dropFirst(2) {
                    guard let found = object.program(named: program) else {
                        problems.append("iterator '\(name)' names program '\(program)', which the object does not define")
                        continue
                    }
                    if !found.section.hasPrefix("iter") {
                        problems.append("iterator '\(name)' names program '\(program)' in section '\(found.section)', but an iterator needs an 'iter/' program")
                    }
                }
            } else if let target = Self.split(marker, prefix: "gadget_mapelem_iter_target_"), target.count == 2 {
                let (program, mapName) = (target[0], target[1])
                if let found = object.program(named: program) {
                    if found.section != "iter/bpf_map_elem" && found.section != "iter.s/bpf_map_elem" {
                        problems.append("iterator target map for program '\(program)' needs SEC(\"iter/bpf_map_elem\"), but the program is in '\(found.section)'")
                    }
                } else {
                    problems.append("iterator target map names program '\(program)', which the object does not define")
                }
                if object.map(named: mapName) == nil {
                    problems.append("iterator target map for program '\(program)' names map '\(mapName)', which the object does not define")
                }
            } else if marker.hasPrefix("gadget_param_") {
                let variable = String(marker.dropFirst("gadget_param_".count))
                problems += paramProblems(variable, object: object)
            }
        }
        var seen = Set<String>()
        return problems.filter { seen.insert($0).inserted }
    }

    /// A field gadget.yaml lists that the data source will not have.
    public struct UnknownField: Equatable, Sendable {
        /// Its path in gadget.yaml: `datasources.open.fields.flgas`.
        public var path: String
        public var dataSource: String
        public var field: String
        /// The data source's real field nearest to it, if it has any.
        public var nearest: String?

        /// Within two edits (one for names of four characters or less) of a real field: a typo, which
        /// validation rejects. Others are more likely stale entries (ig itself checks no field names),
        /// which the build reports as warnings.
        public var isLikelyMisspelling: Bool {
            guard let nearest else { return false }
            return MetadataValidator.distance(field, nearest) <= (field.count <= 4 ? 1 : 2)
        }

        public var text: String {
            "\(path): data source '\(dataSource)' has no field '\(field)'" + (nearest.map { "; did you mean '\($0)'?" } ?? "")
        }
    }

    /// Fields gadget.yaml lists that the data source will not have: neither a member of its struct, nor a
    /// field ig's operators derive, nor one the wasm module adds. Data sources no marker makes, and
    /// those a wasm module extends with names its source does not spell out, are not checked.
    public func unknownFields(_ metadata: GadgetMetadata, object: BPFObjectSummary, wasm: WasmDeclaredFields?) -> [UnknownField] {
        var unknown: [UnknownField] = []
        let sources = MarkerDataSource.all(in: object).sources
        for name in metadata.dataSources {
            guard let entry = metadata.dataSourceEntries[name] else { continue }
            var known: [String]
            if let source = sources.first(where: { $0.name == name }) {
                known = source.fields(in: object, metadata: entry).map(\.path)
            } else if wasm?.createdDataSources.contains(name) == true {
                known = []
            } else {
                continue
            }
            if let wasm {
                if wasm.openDataSources.contains("*") || wasm.openDataSources.contains(name) { continue }
                known += wasm.fields[name] ?? []
            }
            for field in entry.fields where !known.contains(field) {
                unknown.append(UnknownField(path: "datasources.\(name).fields.\(field)", dataSource: name, field: field,
                                            nearest: Self.nearest(field, among: known)))
            }
        }
        return unknown
    }

    /// The candidate closest to `name` by edit distance (ties: the first).
    static func nearest(_ name: String, among candidates: [String]) -> String? {
        candidates.min { distance(name, $0) < distance(name, $1) }
    }

    /// Edit distance over characters, a swap of neighbours counting as one edit (`flgas` → `flags`: 1).
    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        guard !a.isEmpty else { return b.count }
        guard !b.isEmpty else { return a.count }
        var table = Array(repeating: Array(repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { table[i][0] = i }
        for j in 0...b.count { table[0][j] = j }
        for i in 1...a.count {
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                table[i][j] = min(table[i - 1][j] + 1, table[i][j - 1] + 1, table[i - 1][j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    table[i][j] = min(table[i][j], table[i - 2][j - 2] + 1)
                }
            }
        }
        return table[a.count][b.count]
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
