import Crypto
import Foundation

/// What `gadgetc inspect` shows of one eBPF object: what libbpf sees when it opens it (programs, maps),
/// the gadget markers in its BTF and what each resolves to, the params, and the sizes of its BTF
/// (types) and .BTF.ext (CO-RE relocations). Read without loading anything into the kernel.
public struct ObjectInspection: Codable, Equatable, Sendable {
    /// One `gadget_…` BTF variable: what kind of marker, the name it gives, and what it names in the object.
    public struct Marker: Codable, Equatable, Sendable {
        /// The variable as written in BTF (`gadget_tracer_exec___events___event`).
        public var variable: String
        /// "tracer", "map iterator", "iterator", "snapshotter", "topper", "param", "map tracer",
        /// "iterator target map", or "other" for a `gadget_` variable ig gives no meaning here.
        public var kind: String
        /// The gadget-level name: the data source, param or program it declares.
        public var name: String
        /// What the parts it names are in this object, one short phrase each ("map events: ringbuf, 262144 entries").
        public var resolvesTo: [String]
        /// What it names that the object lacks or that has the wrong kind (ig would reject the gadget).
        public var problems: [String]
    }

    /// An eBPF param: a `gadget_param_<variable>` marker and/or a `params.ebpf` entry of gadget.yaml.
    public struct Param: Codable, Equatable, Sendable {
        public var variable: String
        /// The variable's C type without qualifiers; nil when the object has no such variable.
        public var type: String?
        /// A param must be a `const volatile` global (set before load through .rodata).
        public var isConstVolatile: Bool
        public var section: String?
        /// The key users set it with (`--<key>`), from gadget.yaml; nil when there is no gadget.yaml entry.
        public var key: String?
        /// Whether the object carries a `gadget_param_` marker for it.
        public var hasMarker: Bool
    }

    /// A data source ig's eBPF operator makes from the markers, with the fields users see.
    public struct DataSource: Codable, Equatable, Sendable {
        public var name: String
        public var kind: String
        public var structs: [String]
        public var fields: [String]
    }

    public var size: Int
    public var sha256: String
    public var hasBTF: Bool
    public var programs: [BPFObjectSummary.Program]
    /// The object's maps, libbpf's internal ones (.rodata, .bss, …) included and marked.
    public var maps: [BPFObjectSummary.Map]
    public var markers: [Marker]
    public var params: [Param]
    public var dataSources: [DataSource]
    /// Types in .BTF (ids 1…N; id 0, void, is implicit); nil without .BTF.
    public var btfTypeCount: Int?
    /// CO-RE relocation records in .BTF.ext; 0 when the object has none.
    public var coreRelocationCount: Int?
}

/// Reads an object file, or an image layer's bytes, into an `ObjectInspection`.
public enum ObjectInspector {
    /// Fails with `BPFError` (one line: not an ELF, not a BPF object, no programs) like every libbpf step.
    public static func inspect(_ url: URL, metadata: GadgetMetadata? = nil) throws -> ObjectInspection {
        let summary = try BPFObjectInspector.inspect(url)
        let bytes = [UInt8]((try? Data(contentsOf: url)) ?? Data())
        let counts = btfCounts(bytes)
        return ObjectInspection(
            size: bytes.count, sha256: SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined(),
            hasBTF: summary.hasBTF, programs: summary.programs, maps: summary.maps,
            markers: markers(summary, metadata: metadata), params: params(summary, metadata: metadata),
            dataSources: MarkerDataSource.all(in: summary).sources.map { source in
                ObjectInspection.DataSource(name: source.name, kind: source.kind, structs: source.structs,
                                            fields: source.fields(in: summary, metadata: metadata?.dataSourceEntries[source.name]).map(\.path))
            },
            btfTypeCount: counts.types, coreRelocationCount: counts.coreRelocations)
    }

    /// An object held in memory (an image's eBPF layer): libbpf opens files, so it goes through a temporary
    /// one named `name`, as the build names it (`amd64.bpf.o`): libbpf names internal maps after the file
    /// (`amd64.bss`), so the image's report matches the object's.
    public static func inspect(bytes: Data, name: String, metadata: GadgetMetadata? = nil) throws -> ObjectInspection {
        let folder = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("gadgetc-inspect-\(getpid())-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent(name)
        try AtomicFile.write(bytes, to: file, mode: 0o600)
        return try inspect(file, metadata: metadata)
    }

    /// The number of BTF types and of CO-RE relocations, read from the ELF sections themselves.
    static func btfCounts(_ bytes: [UInt8]) -> (types: Int?, coreRelocations: Int?) {
        guard let table = try? ELFSectionTable(bytes) else { return (nil, nil) }
        let types = table.section(named: ".BTF").flatMap { try? BTFRawSection(Array(bytes[$0.range])) }?.records.count
        guard let ext = table.section(named: ".BTF.ext") else { return (types, types == nil ? nil : 0) }
        return (types, (try? BTFExtSection(Array(bytes[ext.range])))?.coreRelocations.count)
    }

    // MARK: Markers

    static func markers(_ object: BPFObjectSummary, metadata: GadgetMetadata?) -> [ObjectInspection.Marker] {
        // Markers are `const void *` globals; gadget headers' other `gadget_` globals (the mount-namespace
        // filter's map and flag) are not.
        object.variables.filter { $0.name.hasPrefix("gadget_") && $0.typeName.hasSuffix("void *") }
            .map { marker(named: $0.name, in: object, metadata: metadata) }
    }

    static func marker(named variable: String, in object: BPFObjectSummary, metadata: GadgetMetadata?) -> ObjectInspection.Marker {
        var result = ObjectInspection.Marker(variable: variable, kind: "other", name: String(variable.dropFirst("gadget_".count)), resolvesTo: [], problems: [])
        func map(_ name: String, needs kinds: [String], as role: String) {
            guard let found = object.map(named: name) else { return result.problems.append("no map '\(name)'") }
            result.resolvesTo.append(describe(found))
            if !kinds.isEmpty, !kinds.contains(where: { found.type.hasPrefix($0) }) {
                result.problems.append("map '\(name)' is \(found.type); \(role) needs \(kinds.joined(separator: " or "))")
            }
        }
        func structure(_ name: String) {
            guard let found = object.structure(named: name) else { return result.problems.append("no struct '\(name)' in BTF") }
            result.resolvesTo.append("\(found.kind) \(name): \(found.size) bytes, \(found.members.count) members")
        }
        func program(_ name: String, iterator: Bool) {
            guard let found = object.program(named: name) else { return result.problems.append("no program '\(name)'") }
            result.resolvesTo.append("program \(name): \(found.section) (\(found.type))")
            if iterator && !found.section.hasPrefix("iter") { result.problems.append("program '\(name)' is not in an iter/ section") }
        }
        let split = { (prefix: String) in MetadataValidator.split(variable, prefix: prefix) }
        if let parts = split("gadget_tracer_") {
            result.kind = "tracer"
            result.name = parts[0]
            guard parts.count == 3 else { result.problems.append("expected gadget_tracer_<name>___<map>___<struct>"); return result }
            map(parts[1], needs: ["ringbuf", "perf_event_array"], as: "a tracer")
            structure(parts[2])
        } else if let parts = split("gadget_mapiter_") {
            result.kind = "map iterator"
            result.name = parts[0]
            guard parts.count == 2 else { result.problems.append("expected gadget_mapiter_<name>___<map>"); return result }
            map(parts[1], needs: ["hash", "lru_hash"], as: "a map iterator")
        } else if let parts = split("gadget_iter_") ?? split("gadget_snapshotter_") {
            result.kind = variable.hasPrefix("gadget_iter_") ? "iterator" : "snapshotter"
            result.name = parts[0]
            guard parts.count >= 3 else { result.problems.append("expected \(result.kind) <name>___<struct>___<program>…"); return result }
            structure(parts[1])
            for name in parts.dropFirst(2) { program(name, iterator: true) }
        } else if let parts = split("gadget_topper_") {
            result.kind = "topper"
            result.name = parts[0]
            if parts.count == 2 { map(parts[1], needs: ["hash", "lru_hash", "percpu_hash", "lru_percpu_hash"], as: "a topper") }
        } else if let parts = split("gadget_mapelem_iter_target_") {
            result.kind = "iterator target map"
            result.name = parts[0]
            guard parts.count == 2 else { return result }
            program(parts[0], iterator: true)
            map(parts[1], needs: [], as: "an iterator target")
        } else if let parts = split("gadget_map_tracer_") {
            result.kind = "map tracer"
            result.name = parts[0]
            map(parts[0], needs: [], as: "a map tracer")
        } else if variable.hasPrefix("gadget_param_") {
            result.kind = "param"
            result.name = String(variable.dropFirst("gadget_param_".count))
            if let found = object.variable(named: result.name) {
                result.resolvesTo.append("variable \(found.name): \(found.isConstVolatile ? "const volatile " : "")\(found.typeName) in \(found.section)")
                if !found.isConstVolatile { result.problems.append("variable '\(found.name)' is not const volatile") }
            } else {
                result.problems.append("no global variable '\(result.name)'")
            }
            if let key = metadata?.ebpfParams[result.name] { result.resolvesTo.append(key.isEmpty ? "gadget.yaml: no key" : "gadget.yaml key \(key)") }
        }
        return result
    }

    static func describe(_ map: BPFObjectSummary.Map) -> String {
        var text = "map \(map.name): \(map.type), key \(map.keySize) B, value \(map.valueSize) B, \(map.maxEntries) entries"
        let structs = [map.keyStruct.map { "key struct \($0)" }, map.valueStruct.map { "value struct \($0)" }].compactMap { $0 }
        if !structs.isEmpty { text += " (" + structs.joined(separator: ", ") + ")" }
        return text
    }

    static func params(_ object: BPFObjectSummary, metadata: GadgetMetadata?) -> [ObjectInspection.Param] {
        let marked = object.variables.map(\.name).filter { $0.hasPrefix("gadget_param_") }.map { String($0.dropFirst("gadget_param_".count)) }
        let listed = (metadata?.ebpfParams.keys).map { Array($0).sorted() } ?? []
        var names = marked
        for name in listed where !names.contains(name) { names.append(name) }
        return names.map { name in
            let variable = object.variable(named: name)
            return ObjectInspection.Param(variable: name, type: variable?.typeName, isConstVolatile: variable?.isConstVolatile ?? false,
                                          section: variable?.section, key: metadata?.ebpfParams[name], hasMarker: marked.contains(name))
        }
    }
}
