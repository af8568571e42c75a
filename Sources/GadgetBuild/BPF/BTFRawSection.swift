import CLibbpf

/// A .BTF section as bytes (Documentation/bpf/btf.rst), parsed only as far as renumbering needs:
/// where each type record lies, and where in it the type ids ("ref slots") and string offsets
/// ("string slots") are, in the order the record holds them.
struct BTFRawSection {
    struct Record {
        var start: Int
        var length: Int
        var kind: Int
        /// This record's entries in `refSlots` and `stringSlots`.
        var refs: Range<Int>
        var strings: Range<Int>
    }

    let bytes: [UInt8]
    /// The type records and the string table, as byte ranges of `bytes`.
    let types: Range<Int>
    let strings: Range<Int>
    /// Type id N is `records[N - 1]`.
    private(set) var records: [Record] = []
    /// Byte offsets (in `bytes`) of every u32 type id and every u32 string offset.
    private(set) var refSlots: [Int] = []
    private(set) var stringSlots: [Int] = []

    static let headerLength = 24
    static let magic: UInt16 = 0xEB9F

    init(_ bytes: [UInt8]) throws(BTFFormatError) {
        self.bytes = bytes
        guard bytes.count >= Self.headerLength else { throw BTFFormatError(".BTF is shorter than its header") }
        guard bytes.u16(at: 0) == Self.magic else { throw BTFFormatError(".BTF has a bad magic (or another byte order)") }
        let headerLength = Int(bytes.u32(at: 4))
        guard headerLength >= Self.headerLength, headerLength <= bytes.count else { throw BTFFormatError(".BTF has a bad header length") }
        func range(at field: Int) throws(BTFFormatError) -> Range<Int> {
            let offset = UInt64(headerLength) + UInt64(bytes.u32(at: field))
            let end = offset + UInt64(bytes.u32(at: field + 4))
            guard end <= UInt64(bytes.count) else { throw BTFFormatError(".BTF's header points outside the section") }
            return Int(offset)..<Int(end)
        }
        types = try range(at: 8)
        strings = try range(at: 16)
        guard !types.overlaps(strings) else { throw BTFFormatError(".BTF's types and strings overlap") }
        guard !strings.isEmpty, bytes[strings.lowerBound] == 0, bytes[strings.upperBound - 1] == 0 else {
            throw BTFFormatError(".BTF's string table does not start and end with NUL")
        }
        try parseRecords()
    }

    private mutating func parseRecords() throws(BTFFormatError) {
        var start = types.lowerBound
        while start < types.upperBound {
            guard start + 12 <= types.upperBound else { throw BTFFormatError("truncated BTF type record at id \(records.count + 1)") }
            let info = bytes.u32(at: start + 4)
            let kind = Int((info >> 24) & 0x1F)
            let vlen = Int(info & 0xFFFF)
            let refsStart = refSlots.count
            let stringsStart = stringSlots.count
            stringSlots.append(start)  // name_off
            var length = 12
            // Appends `count` entries of `size` bytes after the fixed part, with a string offset
            // and/or a type id at the given positions within each entry.
            func entries(_ count: Int, size: Int, string: Int?, ref: Int?) {
                for index in 0..<count {
                    let entry = start + 12 + index * size
                    if let string { stringSlots.append(entry + string) }
                    if let ref { refSlots.append(entry + ref) }
                }
                length += count * size
            }
            switch kind {
            case BTF_KIND_INT:
                length += 4
            case BTF_KIND_PTR, BTF_KIND_TYPEDEF, BTF_KIND_VOLATILE, BTF_KIND_CONST, BTF_KIND_RESTRICT,
                 BTF_KIND_FUNC, BTF_KIND_TYPE_TAG:
                refSlots.append(start + 8)
            case BTF_KIND_ARRAY:  // struct btf_array { type, index_type, nelems }
                refSlots.append(contentsOf: [start + 12, start + 16])
                length += 12
            case BTF_KIND_STRUCT, BTF_KIND_UNION:  // struct btf_member { name_off, type, offset }
                entries(vlen, size: 12, string: 0, ref: 4)
            case BTF_KIND_ENUM:  // struct btf_enum { name_off, val }
                entries(vlen, size: 8, string: 0, ref: nil)
            case BTF_KIND_ENUM64:  // struct btf_enum64 { name_off, val_lo32, val_hi32 }
                entries(vlen, size: 12, string: 0, ref: nil)
            case BTF_KIND_FWD, BTF_KIND_FLOAT:
                break
            case BTF_KIND_FUNC_PROTO:  // return type, then struct btf_param { name_off, type }
                refSlots.append(start + 8)
                entries(vlen, size: 8, string: 0, ref: 4)
            case BTF_KIND_VAR:  // struct btf_var { linkage }
                refSlots.append(start + 8)
                length += 4
            case BTF_KIND_DATASEC:  // struct btf_var_secinfo { type, offset, size }
                entries(vlen, size: 12, string: nil, ref: 0)
            case BTF_KIND_DECL_TAG:  // struct btf_decl_tag { component_idx }
                refSlots.append(start + 8)
                length += 4
            default:
                throw BTFFormatError("BTF type \(records.count + 1) has kind \(kind), which gadgetc does not know")
            }
            guard start + length <= types.upperBound else { throw BTFFormatError("truncated BTF type record at id \(records.count + 1)") }
            records.append(Record(
                start: start, length: length, kind: kind,
                refs: refsStart..<refSlots.count, strings: stringsStart..<stringSlots.count))
            start += length
        }
        let count = UInt32(records.count)
        for slot in refSlots where bytes.u32(at: slot) > count {
            throw BTFFormatError("a BTF type refers to type id \(bytes.u32(at: slot)), past the last (\(count))")
        }
        for slot in stringSlots where Int(bytes.u32(at: slot)) >= strings.count {
            throw BTFFormatError("a BTF type names string offset \(bytes.u32(at: slot)), past the string table")
        }
    }

    /// The type id in `slot` (0 is void).
    func ref(_ slot: Int) -> UInt32 { bytes.u32(at: slot) }

    /// The NUL-terminated string at `offset` in the string table, without its NUL.
    func string(at offset: UInt32) throws(BTFFormatError) -> ArraySlice<UInt8> {
        let start = strings.lowerBound + Int(offset)
        guard start < strings.upperBound else { throw BTFFormatError("string offset \(offset) is past .BTF's string table") }
        // The table ends with a NUL (checked at init), so there is always one.
        let end = bytes[start..<strings.upperBound].firstIndex(of: 0)!
        return bytes[start..<end]
    }
}
