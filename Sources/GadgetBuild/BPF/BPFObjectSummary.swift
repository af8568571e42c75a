/// What a BPF object holds, as libbpf sees it when it opens the object (nothing is loaded):
/// programs, maps, the global variables of every data section, and the named structs and unions
/// of its BTF. Metadata validation reads gadget markers and params from here.
public struct BPFObjectSummary: Codable, Equatable, Sendable {
    public struct Program: Codable, Equatable, Sendable {
        public var name: String
        /// The ELF section, i.e. the `SEC("…")` string: "tp_btf/sched_switch", "socket", "iter/task".
        public var section: String
        /// libbpf's name of the program type: "tracing", "socket_filter", "kprobe", …
        public var type: String
        /// libbpf's name of the expected attach type ("trace_fentry", "trace_iter", …); nil when the
        /// section implies none.
        public var attachType: String?
        /// Instructions in the object, before libbpf relocates and appends subprograms.
        public var instructionCount: Int
        /// false for `SEC("?…")` programs, which libbpf does not load by default.
        public var autoload: Bool
    }

    public struct Map: Codable, Equatable, Sendable {
        public var name: String
        /// libbpf's name of the map type: "hash", "array", "ringbuf", "perf_event_array", …
        public var type: String
        public var keySize: Int
        public var valueSize: Int
        public var maxEntries: Int
        /// true for the maps libbpf makes for .data, .rodata, .bss and .kconfig.
        public var isInternal: Bool
        /// The named structs behind the map's key and value in BTF (through typedefs and qualifiers),
        /// when they are structs: what a map iterator's data source is made of.
        public var keyStruct: String? = nil
        public var valueStruct: String? = nil
    }

    public struct Variable: Codable, Equatable, Sendable {
        public var name: String
        /// The data section (BTF DATASEC) that holds it: ".rodata", ".data", ".bss", ".maps", …
        public var section: String
        /// true when the declared type is qualified both const and volatile (a gadget parameter).
        public var isConstVolatile: Bool
        /// The type with top-level const/volatile/restrict removed, in C: "int", "const void *",
        /// "struct event", "char[16]".
        public var typeName: String
    }

    public struct Structure: Codable, Equatable, Sendable {
        public struct Member: Codable, Equatable, Sendable {
            /// Empty for an anonymous struct or union member.
            public var name: String
            public var typeName: String
            public var bitOffset: Int
            /// The names ig's eBPF operator tags the member's field with (`type:<name>`): the member's type
            /// name, every typedef under it and an array's element names (`gadget_file_flags`, `__u32`).
            public var typeNames: [String] = []
            /// What ig's eBPF operator makes of the member; nil in summaries that predate it.
            public var layout: Layout? = nil

            public init(name: String, typeName: String, bitOffset: Int, typeNames: [String] = [], layout: Layout? = nil) {
                self.name = name
                self.typeName = typeName
                self.bitOffset = bitOffset
                self.typeNames = typeNames
                self.layout = layout
            }
        }

        /// How ig's eBPF operator (`pkg/operators/ebpf/struct.go`) turns a member into data source fields.
        public indirect enum Layout: Codable, Equatable, Sendable {
            /// An integer, float or array of them: one field.
            case value
            /// A member whose type is an enum (not through a typedef): a field, and a string field the
            /// operator names after it.
            case enumeration
            /// A struct or union member (named or not): a field, and one per member under `name.`.
            case composite([Member])
            /// A pointer, a zero-sized array, a 128-bit integer, …: no field.
            case none
        }

        public var name: String
        /// "struct" or "union".
        public var kind: String
        public var size: Int
        public var members: [Member]
    }

    public var hasBTF: Bool
    public var programs: [Program]
    public var maps: [Map]
    /// Every BTF VAR of every DATASEC, in BTF order; empty without BTF.
    public var variables: [Variable]
    /// Every named struct and union of the object's BTF, in BTF order; empty without BTF.
    public var structures: [Structure]

    public func program(named name: String) -> Program? { programs.first { $0.name == name } }
    public func map(named name: String) -> Map? { maps.first { $0.name == name } }
    public func variable(named name: String) -> Variable? { variables.first { $0.name == name } }

    /// The struct or union called `name` (no "struct " prefix), e.g. the event type named in a
    /// `gadget_tracer_<name>___<map>___<type>` marker.
    public func structure(named name: String) -> Structure? { structures.first { $0.name == name } }
}
