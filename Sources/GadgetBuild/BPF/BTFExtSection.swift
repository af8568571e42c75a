/// A .BTF.ext section as bytes (Documentation/bpf/btf.rst, "BTF Ext Section"), parsed only as far
/// as renumbering needs: where its type ids and its offsets into .BTF's string table are.
///
/// Header: magic (u16), version, flags, hdr_len (u32), then (offset, length) pairs relative to the
/// end of the header for func_info, line_info and, when hdr_len allows, core_relo. Each block is
/// a rec_size (u32), then per ELF section { sec_name_off, num_info } and num_info records:
/// func_info { insn_off, type_id }, line_info { insn_off, file_name_off, line_off, line_col },
/// core_relo { insn_off, type_id, access_str_off, kind }.
struct BTFExtSection {
    let bytes: [UInt8]
    /// Byte offsets (in `bytes`) of every u32 type id, and of every u32 string offset in the order
    /// the section holds them.
    private(set) var typeSlots: [Int] = []
    private(set) var stringSlots: [Int] = []
    /// The string slots that hold a line_info record's file_name_off.
    private(set) var fileNameSlots: Set<Int> = []
    /// Each core_relo record: where its section's name offset is, and where the record starts.
    private(set) var coreRelocations: [(sectionName: Int, record: Int)] = []

    private struct Block {
        var name: String
        /// Offset of the block's (offset, length) pair in the header.
        var header: Int
        var minimumRecord: Int
        /// Positions of type ids and string offsets within one record.
        var types: [Int]
        var strings: [Int]
    }

    private static let blocks = [
        Block(name: "func_info", header: 8, minimumRecord: 8, types: [4], strings: []),
        Block(name: "line_info", header: 16, minimumRecord: 16, types: [], strings: [4, 8]),
        Block(name: "core_relo", header: 24, minimumRecord: 16, types: [4], strings: [8]),
    ]

    init(_ bytes: [UInt8]) throws(BTFFormatError) {
        self.bytes = bytes
        guard bytes.count >= 8, bytes.u16(at: 0) == BTFRawSection.magic else {
            throw BTFFormatError(".BTF.ext has a bad header (or another byte order)")
        }
        let headerLength = Int(bytes.u32(at: 4))
        guard headerLength >= 24, headerLength <= bytes.count else { throw BTFFormatError(".BTF.ext has a bad header length") }
        for block in Self.blocks where block.header + 8 <= headerLength {
            try parse(block, headerLength: headerLength)
        }
    }

    private mutating func parse(_ block: Block, headerLength: Int) throws(BTFFormatError) {
        let length = UInt64(bytes.u32(at: block.header + 4))
        guard length > 0 else { return }
        let start = UInt64(headerLength) + UInt64(bytes.u32(at: block.header))
        guard start + length <= UInt64(bytes.count), length >= 4 else { throw BTFFormatError(".BTF.ext's \(block.name) is outside the section") }
        let end = Int(start + length)
        var position = Int(start)
        let recordSize = Int(bytes.u32(at: position))
        guard recordSize >= block.minimumRecord else { throw BTFFormatError(".BTF.ext's \(block.name) records are \(recordSize) bytes, too short") }
        position += 4
        while position < end {
            guard position + 8 <= end else { throw BTFFormatError(".BTF.ext's \(block.name) is truncated") }
            let sectionName = position
            stringSlots.append(sectionName)
            let count = Int(bytes.u32(at: position + 4))
            position += 8
            guard count <= (end - position) / recordSize else { throw BTFFormatError(".BTF.ext's \(block.name) is truncated") }
            for index in 0..<count {
                let record = position + index * recordSize
                for field in block.types { typeSlots.append(record + field) }
                for field in block.strings { stringSlots.append(record + field) }
                if block.name == "line_info" { fileNameSlots.insert(record + 4) }
                if block.name == "core_relo" { coreRelocations.append((sectionName, record)) }
            }
            position += count * recordSize
        }
    }
}
