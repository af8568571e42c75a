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
            result.append(.init(
                name: structName, kind: kind(composite) == BTF_KIND_UNION ? "union" : "struct",
                size: Int(composite.pointee.size), members: members(of: composite)))
        }
        return result
    }

    /// The members of a struct or union, each with what ig's eBPF operator makes of it.
    func members(of composite: UnsafePointer<btf_type>, depth: Int = 0) -> [BPFObjectSummary.Structure.Member] {
        let entries = btf_members(composite)!
        return (0..<Int(btf_vlen(composite))).map { index in
            let member = entries[index]
            let memberName = btf__name_by_offset(btf, member.name_off).map { String(cString: $0) } ?? ""
            let described = operatorView(member.type)
            var layout = BPFObjectSummary.Structure.Layout.none
            // ig looks at the member's own type, not through typedefs: a typedef of a struct is no
            // composite and a typedef of an enum gets no name field.
            if let type = type(member.type), btf_is_composite(type) {
                layout = depth < 8 ? .composite(members(of: type, depth: depth + 1)) : .composite([])
            } else if let size = described.size, size > 0 {
                let memberKind = type(member.type).map(kind) ?? 0
                layout = memberKind == BTF_KIND_ENUM || memberKind == BTF_KIND_ENUM64 ? .enumeration : .value
            }
            return .init(
                name: memberName, typeName: spell(member.type),
                bitOffset: Int(btf_member_bit_offset(composite, UInt32(index))),
                typeNames: described.names, layout: layout)
        }
    }

    /// Mirrors ig's `btfhelpers.GetType`: the names along `id` (its own, each typedef's, an array's
    /// element's) and the size of the value ig reads, nil when ig has no plain type for it.
    func operatorView(_ id: UInt32, depth: Int = 0) -> (size: Int?, names: [String]) {
        guard id != 0, depth < 32, let t = type(id) else { return (nil, []) }
        let ownName = name(t)
        let names = ownName.isEmpty ? [] : [ownName]
        switch kind(t) {
        case BTF_KIND_ARRAY:
            let array = btf_array(t)!.pointee
            let element = operatorView(array.type, depth: depth + 1)
            guard let size = element.size else { return (nil, []) }
            return (size * Int(array.nelems), names + element.names)
        case BTF_KIND_TYPEDEF:
            let target = operatorView(t.pointee.type, depth: depth + 1)
            return (target.size, names + target.names)
        case BTF_KIND_CONST, BTF_KIND_VOLATILE:
            return operatorView(t.pointee.type, depth: depth + 1)
        case BTF_KIND_INT:
            let size = Int(t.pointee.size)
            let encoding = btf_int_encoding(t)
            if encoding & UInt8(BTF_INT_BOOL) != 0 || encoding & UInt8(BTF_INT_CHAR) != 0 { return (1, names) }
            return ([1, 2, 4, 8].contains(size) ? size : nil, names)
        case BTF_KIND_FLOAT:
            let size = Int(t.pointee.size)
            return ([4, 8].contains(size) ? size : nil, names)
        case BTF_KIND_ENUM, BTF_KIND_ENUM64:
            let size = Int(t.pointee.size)
            return ([1, 2, 4, 8].contains(size) ? size : nil, names)
        default:
            return (nil, names)
        }
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
