import CLibbpf
import Foundation

/// Opens a BPF object with libbpf (no kernel involved, nothing loaded) and describes it.
public enum BPFObjectInspector {
    /// Fails when the file is missing, not an ELF, rejected by libbpf (e.g. `.maps` without BTF),
    /// or holds no programs.
    public static func inspect(_ object: URL) throws -> BPFObjectSummary {
        try BPFError.checkELF(object, for: .open)
        return try LibbpfSession.run { session in
            let handle = try BPFObjectHandle.open(object, for: .open, session: &session)
            defer { handle.close() }
            let programs = handle.programs.map(describe(program:))
            guard !programs.isEmpty else {
                throw BPFError(
                    .open, file: object.path, reason: "contains no BPF programs",
                    remedy: "define at least one function in a SEC(\"…\") section",
                    libbpfMessages: session.collect())
            }
            let btf = bpf_object__btf(handle.object).map(BTFTypes.init(btf:))
            return BPFObjectSummary(
                hasBTF: btf != nil,
                programs: programs,
                maps: handle.maps.map { describe(map: $0, btf: btf) },
                variables: btf?.variables ?? [],
                structures: btf?.structures ?? [])
        }
    }

    private static func describe(program: OpaquePointer) -> BPFObjectSummary.Program {
        let type = bpf_program__type(program)
        let attach = bpf_program__expected_attach_type(program)
        // libbpf leaves the attach type 0 when a section implies none; 0 only means something
        // (BPF_CGROUP_INET_INGRESS) for cgroup_skb programs.
        let hasAttachType = attach.rawValue != 0 || type == BPF_PROG_TYPE_CGROUP_SKB
        return .init(
            name: string(bpf_program__name(program)),
            section: string(bpf_program__section_name(program)),
            type: libbpf_bpf_prog_type_str(type).map { String(cString: $0) } ?? "unknown(\(type.rawValue))",
            attachType: hasAttachType
                ? (libbpf_bpf_attach_type_str(attach).map { String(cString: $0) } ?? "unknown(\(attach.rawValue))")
                : nil,
            instructionCount: bpf_program__insn_cnt(program),
            autoload: bpf_program__autoload(program))
    }

    private static func describe(map: OpaquePointer, btf: BTFTypes?) -> BPFObjectSummary.Map {
        let type = bpf_map__type(map)
        return .init(
            name: string(bpf_map__name(map)),
            type: libbpf_bpf_map_type_str(type).map { String(cString: $0) } ?? "unknown(\(type.rawValue))",
            keySize: Int(bpf_map__key_size(map)),
            valueSize: Int(bpf_map__value_size(map)),
            maxEntries: Int(bpf_map__max_entries(map)),
            isInternal: bpf_map__is_internal(map),
            keyStruct: btf?.structName(bpf_map__btf_key_type_id(map)),
            valueStruct: btf?.structName(bpf_map__btf_value_type_id(map)))
    }

    private static func string(_ pointer: UnsafePointer<CChar>?) -> String {
        pointer.map { String(cString: $0) } ?? ""
    }
}

/// An opened libbpf `bpf_object`; must be closed (which also unloads whatever was loaded).
/// Only used inside a `LibbpfSession`.
struct BPFObjectHandle {
    let object: OpaquePointer

    static func open(_ url: URL, for operation: BPFError.Operation, session: inout LibbpfSession) throws -> BPFObjectHandle {
        guard let object = bpf_object__open_file(url.path, nil) else {
            let code = errno
            let messages = session.collect()
            throw BPFError(
                operation, file: url.path, reason: BPFError.reason(messages, code: code, otherwise: "libbpf rejected it"),
                remedy: remedy(for: messages), code: code, libbpfMessages: messages)
        }
        let handle = BPFObjectHandle(object: object)
        handle.typeLegacySections()
        return handle
    }

    /// Section-name prefixes that libbpf 1.x no longer types but Inspektor Gadget's loader (cilium/ebpf)
    /// still does, e.g. `SEC("socket1")` in ig's trace_sni. Without a type libbpf cannot load them.
    static let legacySectionTypes: [(prefix: String, type: bpf_prog_type)] = [
        ("socket", BPF_PROG_TYPE_SOCKET_FILTER),
        ("classifier", BPF_PROG_TYPE_SCHED_CLS),
        ("action", BPF_PROG_TYPE_SCHED_ACT),
    ]

    func typeLegacySections() {
        for program in programs where bpf_program__type(program) == BPF_PROG_TYPE_UNSPEC {
            let section = bpf_program__section_name(program).map { String(cString: $0) } ?? ""
            if let match = Self.legacySectionTypes.first(where: { section.hasPrefix($0.prefix) }) {
                bpf_program__set_type(program, match.type)
            }
        }
    }

    func close() { bpf_object__close(object) }

    var programs: [OpaquePointer] {
        var result: [OpaquePointer] = []
        var next = bpf_object__next_program(object, nil)
        while let program = next {
            result.append(program)
            next = bpf_object__next_program(object, program)
        }
        return result
    }

    var maps: [OpaquePointer] {
        var result: [OpaquePointer] = []
        var next = bpf_object__next_map(object, nil)
        while let map = next {
            result.append(map)
            next = bpf_object__next_map(object, map)
        }
        return result
    }

    private static func remedy(for messages: [String]) -> String? {
        let text = messages.joined(separator: "\n")
        if text.contains("BTF is required") || text.contains("missing BTF") {
            return "compile with -g: BTF-defined maps (SEC(\".maps\")) need BTF"
        }
        if text.contains("not a BPF") || text.contains("not a valid eBPF") || text.contains("e_machine") || text.contains("EM_BPF") {
            return "compile with `clang -target bpf`"
        }
        return nil
    }
}
