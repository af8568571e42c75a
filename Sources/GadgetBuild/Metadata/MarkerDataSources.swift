/// The data sources an object's BTF markers make, as ig's eBPF operator (`pkg/operators/ebpf`: tracer.go,
/// iter.go, maps.go) makes them when it runs the gadget:
/// - `gadget_tracer_<name>___<map>___<struct>`: a ring buffer or perf array of `struct`;
/// - `gadget_iter_<name>___<struct>___<prog>[___<prog>…]` (GADGET_ITER, also with
///   GADGET_ITER_TARGET_MAP) and the older `gadget_snapshotter_…` of the same shape: `iter/` programs
///   that emit `struct`;
/// - `gadget_mapiter_<name>___<map>`: a hash map, key struct then value struct;
/// - `gadget_topper_<name>___<map>` (older gadgets): the map's value struct.
/// Markers that make no data source (`gadget_param_`, `gadget_map_tracer_`,
/// `gadget_mapelem_iter_target_`, `gadget_sk_prog_target_`, `gadget_var_`) are not listed here.
public struct MarkerDataSource: Equatable, Sendable {
    public var name: String
    /// The structs whose members make the fields, in order.
    public var structs: [String]
    /// "tracer", "iterator", "map iterator", "topper".
    public var kind: String
    /// The marker variable (`gadget_tracer_open___events___event`): a comment on it describes the data source.
    public var marker: String = ""

    /// The object's data sources in marker (BTF) order, and the markers that name something the object
    /// lacks (each a short clause).
    public static func all(in object: BPFObjectSummary) -> (sources: [MarkerDataSource], unusable: [String]) {
        var sources: [MarkerDataSource] = []
        var unusable: [String] = []
        func append(_ source: MarkerDataSource) {
            if !sources.contains(where: { $0.name == source.name }) { sources.append(source) }
        }
        for marker in object.variables.map(\.name) {
            if let parts = MetadataValidator.split(marker, prefix: "gadget_tracer_") {
                guard parts.count == 3, let map = object.map(named: parts[1]), ["ringbuf", "perf_event_array"].contains(map.type),
                      object.structure(named: parts[2]) != nil
                else { unusable.append("tracer marker \(marker)"); continue }
                append(.init(name: parts[0], structs: [parts[2]], kind: "tracer", marker: marker))
            } else if let parts = MetadataValidator.split(marker, prefix: "gadget_iter_")
                        ?? MetadataValidator.split(marker, prefix: "gadget_snapshotter_") {
                guard parts.count >= 3, object.structure(named: parts[1]) != nil,
                      parts[2...].allSatisfy({ object.program(named: $0)?.section.hasPrefix("iter") == true })
                else { unusable.append("iterator marker \(marker)"); continue }
                append(.init(name: parts[0], structs: [parts[1]], kind: "iterator", marker: marker))
            } else if let parts = MetadataValidator.split(marker, prefix: "gadget_mapiter_") {
                guard parts.count == 2, let map = object.map(named: parts[1]),
                      let key = map.keyStruct, let value = map.valueStruct,
                      object.structure(named: key) != nil, object.structure(named: value) != nil
                else { unusable.append("map iterator marker \(marker)"); continue }
                append(.init(name: parts[0], structs: [key, value], kind: "map iterator", marker: marker))
            } else if let parts = MetadataValidator.split(marker, prefix: "gadget_topper_") {
                guard parts.count == 2, let value = object.map(named: parts[1])?.valueStruct, object.structure(named: value) != nil
                else { unusable.append("topper marker \(marker)"); continue }
                append(.init(name: parts[0], structs: [value], kind: "topper", marker: marker))
            }
        }
        return (sources, unusable)
    }

    /// The fields users see, with `metadata`'s annotations deciding derived names.
    public func fields(in object: BPFObjectSummary, metadata: GadgetMetadata.DataSource?) -> [DataSourceField] {
        IGDerivedFields.fields(
            of: structs.map { object.structure(named: $0)?.members ?? [] },
            annotations: metadata?.fieldAnnotations ?? [:], dataSourceAnnotations: metadata?.annotations ?? [:])
    }
}
