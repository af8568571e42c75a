import CLibbpf
import Foundation

/// A small BTF type graph, written with libbpf's BTF writer (btf__new_empty + btf__add_*) with its
/// types in any order: the same graph under different ids, for the canonical-order tests.
struct HandBuiltBTF {
    enum Kind {
        case int(String, size: Int, encoding: Int32)
        case float(String, size: Int)
        case pointer(String)
        case constant(String), volatile(String), restrict(String)
        case typeTag(String, String)
        case typedef(String, String)
        case array(of: String, index: String, count: UInt32)
        case structure(String, size: UInt32, members: [(name: String, type: String, bitOffset: UInt32)])
        case union(String, size: UInt32, members: [(name: String, type: String, bitOffset: UInt32)])
        case enumeration(String, values: [(String, Int64)])
        case enum64(String, values: [(String, UInt64)])
        case forward(String)
        /// A nil type is void (a nil return type, or a nameless void parameter: "...").
        case proto(returns: String?, parameters: [(String, String?)])
        case function(String, proto: String)
        case variable(String, String)
        case section(String, size: UInt32, variables: [(String, offset: UInt32, size: UInt32)])
        case declTag(String, on: String, component: Int32)
    }

    struct Failure: Error, CustomStringConvertible { var description: String }

    var types: [(key: String, kind: Kind)]
    /// Strings no type names (what .BTF.ext would name: file names, source lines, sections).
    var extraStrings: [String] = []

    struct Built {
        var bytes: [UInt8]
        var ids: [String: UInt32]
        var strings: [String: UInt32]
    }

    /// Writes the types in `order` (indices into `types`), the extra strings first or last.
    func build(order: [Int], extraStringsFirst: Bool = false) throws -> Built {
        guard let btf = btf__new_empty() else { throw Failure(description: "btf__new_empty failed") }
        defer { btf__free(btf) }
        var ids: [String: Int32] = [:]
        for (position, index) in order.enumerated() { ids[types[index].key] = Int32(position + 1) }
        func id(_ key: String?) throws -> Int32 {
            guard let key else { return 0 }
            guard let id = ids[key] else { throw Failure(description: "no type \(key)") }
            return id
        }
        func check(_ result: Int32, _ what: String) throws {
            if result < 0 { throw Failure(description: "libbpf refused \(what): \(result)") }
        }
        var strings: [String: UInt32] = [:]
        func addExtraStrings() throws {
            for string in extraStrings {
                let offset = btf__add_str(btf, string)
                try check(offset, string)
                strings[string] = UInt32(offset)
            }
        }
        if extraStringsFirst { try addExtraStrings() }
        for index in order {
            let (key, kind) = types[index]
            let result: Int32
            switch kind {
            case .int(let name, let size, let encoding): result = btf__add_int(btf, name, size, encoding)
            case .float(let name, let size): result = btf__add_float(btf, name, size)
            case .pointer(let target): result = btf__add_ptr(btf, try id(target))
            case .constant(let target): result = btf__add_const(btf, try id(target))
            case .volatile(let target): result = btf__add_volatile(btf, try id(target))
            case .restrict(let target): result = btf__add_restrict(btf, try id(target))
            case .typeTag(let value, let target): result = btf__add_type_tag(btf, value, try id(target))
            case .typedef(let name, let target): result = btf__add_typedef(btf, name, try id(target))
            case .array(let element, let indexType, let count): result = btf__add_array(btf, try id(indexType), try id(element), count)
            case .structure(let name, let size, let members), .union(let name, let size, let members):
                if case .structure = kind { result = btf__add_struct(btf, name, size) } else { result = btf__add_union(btf, name, size) }
                for member in members {
                    try check(btf__add_field(btf, member.name, try id(member.type), member.bitOffset, 0), "\(key).\(member.name)")
                }
            case .enumeration(let name, let values):
                result = btf__add_enum(btf, name, 4)
                for (valueName, value) in values { try check(btf__add_enum_value(btf, valueName, value), valueName) }
            case .enum64(let name, let values):
                result = btf__add_enum64(btf, name, 8, false)
                for (valueName, value) in values { try check(btf__add_enum64_value(btf, valueName, value), valueName) }
            case .forward(let name): result = btf__add_fwd(btf, name, BTF_FWD_STRUCT)
            case .proto(let returns, let parameters):
                result = btf__add_func_proto(btf, try id(returns))
                for (name, type) in parameters { try check(btf__add_func_param(btf, name, try id(type)), "parameter \(name)") }
            case .function(let name, let proto): result = btf__add_func(btf, name, BTF_FUNC_GLOBAL, try id(proto))
            case .variable(let name, let type): result = btf__add_var(btf, name, Int32(BTF_VAR_GLOBAL_ALLOCATED), try id(type))
            case .section(let name, let size, let variables):
                result = btf__add_datasec(btf, name, size)
                for (variable, offset, variableSize) in variables {
                    try check(btf__add_datasec_var_info(btf, try id(variable), offset, variableSize), variable)
                }
            case .declTag(let value, let target, let component): result = btf__add_decl_tag(btf, value, try id(target), component)
            }
            try check(result, key)
            guard result == ids[key] else { throw Failure(description: "\(key) got id \(result), expected \(ids[key]!)") }
        }
        if !extraStringsFirst { try addExtraStrings() }
        var size: UInt32 = 0
        guard let raw = btf__raw_data(btf, &size) else { throw Failure(description: "btf__raw_data failed") }
        let bytes = [UInt8](UnsafeRawBufferPointer(start: raw, count: Int(size)))
        return Built(bytes: bytes, ids: ids.mapValues { UInt32($0) }, strings: strings)
    }
}

/// What libbpf reads from raw BTF: one line per type with what it refers to spelled out (to a
/// depth), so that two numberings of the same graph give the same lines, in some order.
struct BTFDescription {
    let btf: OpaquePointer

    init?(_ bytes: [UInt8]) {
        guard let btf = bytes.withUnsafeBytes({ btf__new($0.baseAddress, UInt32($0.count)) }) else { return nil }
        self.btf = btf
    }

    func free() { btf__free(btf) }

    var count: Int { Int(btf__type_cnt(btf)) - 1 }

    func name(_ offset: UInt32) -> String { btf__name_by_offset(btf, offset).map { String(cString: $0) } ?? "?" }

    func kind(_ id: UInt32) -> Int { Int(btf_kind(btf__type_by_id(btf, id))) }

    func name(of id: UInt32) -> String { name(btf__type_by_id(btf, id).pointee.name_off) }

    /// The lines of all types, sorted.
    var lines: [String] { (1...UInt32(count)).map { describe($0, depth: 3) }.sorted() }

    func describe(_ id: UInt32, depth: Int) -> String {
        guard id != 0 else { return "void" }
        let type = btf__type_by_id(btf, id)!
        let kind = Int(btf_kind(type))
        var text = "\(kind) '\(name(type.pointee.name_off))' info=\(type.pointee.info & 0x8000_FFFF)"
        guard depth > 0 else { return text }
        func ref(_ target: UInt32) -> String { "(" + describe(target, depth: depth - 1) + ")" }
        let vlen = Int(btf_vlen(type))
        switch kind {
        case BTF_KIND_INT: text += " size=\(type.pointee.size) enc=\(btf_int_encoding(type)) bits=\(btf_int_bits(type))"
        case BTF_KIND_FLOAT, BTF_KIND_FWD: text += " size=\(type.pointee.size)"
        case BTF_KIND_ARRAY:
            let array = btf_array(type)!.pointee
            text += " of \(ref(array.type)) by \(ref(array.index_type)) n=\(array.nelems)"
        case BTF_KIND_STRUCT, BTF_KIND_UNION:
            text += " size=\(type.pointee.size)"
            let members = btf_members(type)!
            for index in 0..<vlen { text += " \(name(members[index].name_off))@\(members[index].offset):\(ref(members[index].type))" }
        case BTF_KIND_ENUM:
            let values = btf_enum(type)!
            for index in 0..<vlen { text += " \(name(values[index].name_off))=\(values[index].val)" }
        case BTF_KIND_ENUM64:
            let values = btf_enum64(type)!
            for index in 0..<vlen { text += " \(name(values[index].name_off))=\(btf_enum64_value(values + index))" }
        case BTF_KIND_FUNC_PROTO:
            text += " returns \(ref(type.pointee.type))"
            let parameters = btf_params(type)!
            for index in 0..<vlen { text += " \(name(parameters[index].name_off)):\(ref(parameters[index].type))" }
        case BTF_KIND_DATASEC:
            let variables = btf_var_secinfos(type)!
            for index in 0..<vlen { text += " @\(variables[index].offset)+\(variables[index].size):\(ref(variables[index].type))" }
        case BTF_KIND_VAR: text += " linkage=\(btf_var(type)!.pointee.linkage) \(ref(type.pointee.type))"
        case BTF_KIND_DECL_TAG: text += " component=\(btf_decl_tag(type)!.pointee.component_idx) \(ref(type.pointee.type))"
        default: text += " \(ref(type.pointee.type))"
        }
        return text
    }
}
