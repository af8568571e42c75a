import CLibbpf

/// Read-only walks over a libbpf `struct btf`: data-section variables, named structs, C spellings of
/// types. Valid only while the BTF (and the object that owns it) is open.
struct BTFTypes {
    let btf: OpaquePointer

    private static let modifierKinds: Set<Int> = [BTF_KIND_CONST, BTF_KIND_VOLATILE, BTF_KIND_RESTRICT, BTF_KIND_TYPE_TAG]

    var count: UInt32 { btf__type_cnt(btf) }

    func type(_ id: UInt32) -> UnsafePointer<btf_type>? { btf__type_by_id(btf, id) }

    func name(_ type: UnsafePointer<btf_type>) -> String {
        guard let name = btf__name_by_offset(btf, type.pointee.name_off) else { return "" }
        return String(cString: name)
    }

    func kind(_ type: UnsafePointer<btf_type>) -> Int { Int(btf_kind(type)) }

    var variables: [BPFObjectSummary.Variable] {
        var result: [BPFObjectSummary.Variable] = []
        for id in 1..<max(count, 1) {
            guard let section = type(id), kind(section) == BTF_KIND_DATASEC else { continue }
            let sectionName = name(section)
            let entries = btf_var_secinfos(section)!
            for index in 0..<Int(btf_vlen(section)) {
                guard let variable = type(entries[index].type), kind(variable) == BTF_KIND_VAR else { continue }
                let (isConst, isVolatile, base) = stripModifiers(variable.pointee.type)
                result.append(.init(
                    name: name(variable), section: sectionName,
                    isConstVolatile: isConst && isVolatile, typeName: spell(base)))
            }
        }
        return result
    }

    var structures: [BPFObjectSummary.Structure] {
        var result: [BPFObjectSummary.Structure] = []
        for id in 1..<max(count, 1) {
            guard let composite = type(id), btf_is_composite(composite) else { continue }
            let structName = name(composite)
            guard !structName.isEmpty else { continue }
            let members = btf_members(composite)!
            result.append(.init(
                name: structName, kind: kind(composite) == BTF_KIND_UNION ? "union" : "struct",
                size: Int(composite.pointee.size),
                members: (0..<Int(btf_vlen(composite))).map { index in
                    let member = members[index]
                    let memberName = btf__name_by_offset(btf, member.name_off).map { String(cString: $0) } ?? ""
                    return .init(
                        name: memberName, typeName: spell(member.type),
                        bitOffset: Int(btf_member_bit_offset(composite, UInt32(index))))
                }))
        }
        return result
    }

    /// Follows const/volatile/restrict/type-tag modifiers from `id`; says which qualifiers it saw
    /// and where it stopped.
    func stripModifiers(_ id: UInt32) -> (isConst: Bool, isVolatile: Bool, base: UInt32) {
        var current = id
        var isConst = false
        var isVolatile = false
        for _ in 0..<32 {
            guard current != 0, let t = type(current), Self.modifierKinds.contains(kind(t)) else { break }
            if kind(t) == BTF_KIND_CONST { isConst = true }
            if kind(t) == BTF_KIND_VOLATILE { isVolatile = true }
            current = t.pointee.type
        }
        // C puts an array's qualifiers on its elements: `const volatile char name[16]` is an
        // array of const volatile char, and is a parameter just as much.
        if !(isConst && isVolatile), let t = type(current), kind(t) == BTF_KIND_ARRAY, let array = btf_array(t) {
            let element = stripModifiers(array.pointee.type)
            return (isConst || element.isConst, isVolatile || element.isVolatile, current)
        }
        return (isConst, isVolatile, current)
    }

    /// A C-like spelling of a type: names for named types, "T *" for pointers, "T[n]" for arrays.
    func spell(_ id: UInt32, depth: Int = 0) -> String {
        guard id != 0 else { return "void" }
        guard depth < 16, let t = type(id) else { return "?" }
        let typeName = name(t)
        switch kind(t) {
        case BTF_KIND_INT, BTF_KIND_FLOAT, BTF_KIND_TYPEDEF:
            return typeName
        case BTF_KIND_STRUCT:
            return typeName.isEmpty ? "struct {...}" : "struct \(typeName)"
        case BTF_KIND_UNION:
            return typeName.isEmpty ? "union {...}" : "union \(typeName)"
        case BTF_KIND_ENUM, BTF_KIND_ENUM64:
            return typeName.isEmpty ? "enum {...}" : "enum \(typeName)"
        case BTF_KIND_FWD:
            return (btf_kflag(t) ? "union " : "struct ") + typeName
        case BTF_KIND_PTR:
            let pointee = spell(t.pointee.type, depth: depth + 1)
            return pointee.hasSuffix("*") ? pointee + "*" : pointee + " *"
        case BTF_KIND_CONST:
            return "const " + spell(t.pointee.type, depth: depth + 1)
        case BTF_KIND_VOLATILE:
            return "volatile " + spell(t.pointee.type, depth: depth + 1)
        case BTF_KIND_RESTRICT, BTF_KIND_TYPE_TAG:
            return spell(t.pointee.type, depth: depth + 1)
        case BTF_KIND_ARRAY:
            let array = btf_array(t)!.pointee
            return spell(array.type, depth: depth + 1) + "[\(array.nelems)]"
        case BTF_KIND_FUNC_PROTO:
            return "function"
        default:
            return typeName.isEmpty ? "?" : typeName
        }
    }

    /// The struct's name after typedefs and qualifiers, or nil when `id` is not a named struct.
    func structName(_ id: UInt32) -> String? {
        var current = id
        for _ in 0..<32 {
            guard current != 0, let t = type(current) else { return nil }
            switch kind(t) {
            case BTF_KIND_TYPEDEF, BTF_KIND_CONST, BTF_KIND_VOLATILE, BTF_KIND_RESTRICT, BTF_KIND_TYPE_TAG:
                current = t.pointee.type
            case BTF_KIND_STRUCT:
                let structName = name(t)
                return structName.isEmpty ? nil : structName
            default:
                return nil
            }
        }
        return nil
    }
}
