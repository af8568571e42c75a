/// The section headers of a 64-bit little-endian ELF object, read from its bytes: enough to find a
/// section by name and to overwrite its contents in place at the same offset and size (or, with
/// `ELFRelayout`, to write the file again with some sections' contents replaced).
struct ELFSectionTable {
    struct Section {
        var index: Int
        var name: String
        var type: UInt32
        /// Where its contents are in the file (empty for SHT_NOBITS).
        var range: Range<Int>
        /// sh_info: for SHT_REL/SHT_RELA, the index of the section the relocations apply to.
        var info: UInt32
        /// Where its header is in the file, and its sh_addralign.
        var header: Int = 0
        var alignment: UInt64 = 0
        /// sh_size (for SHT_NOBITS too, which take no file space).
        var size: UInt64 = 0
    }

    static let relocationTypes: Set<UInt32> = [4, 9]  // SHT_RELA, SHT_REL
    static let noBits: UInt32 = 8

    let sections: [Section]

    init(_ bytes: [UInt8]) throws(BTFFormatError) {
        guard bytes.count >= 64, bytes[0..<4] == [0x7F, 0x45, 0x4C, 0x46] else { throw BTFFormatError("not an ELF file") }
        guard bytes[4] == 2 else { throw BTFFormatError("not a 64-bit ELF object") }
        guard bytes[5] == 1 else { throw BTFFormatError("not a little-endian ELF object") }
        let tableOffset = bytes.u64(at: 0x28)
        let entrySize = Int(bytes.u16(at: 0x3A))
        var count = Int(bytes.u16(at: 0x3C))
        var namesIndex = Int(bytes.u16(at: 0x3E))
        guard entrySize >= 64, tableOffset < UInt64(bytes.count) else { throw BTFFormatError("bad ELF section header table") }
        let table = Int(tableOffset)
        func header(_ index: Int) throws(BTFFormatError) -> Int {
            let start = table + index * entrySize
            guard start >= table, start + 64 <= bytes.count else { throw BTFFormatError("ELF section header \(index) is outside the file") }
            return start
        }
        // Extended numbering: section 0 holds the real count (sh_size) and names index (sh_link).
        if count == 0 { count = Int(truncatingIfNeeded: bytes.u64(at: try header(0) + 32)) }
        if namesIndex == 0xFFFF { namesIndex = Int(bytes.u32(at: try header(0) + 40)) }
        guard count > 0, count <= (bytes.count - table) / entrySize, namesIndex < count else {
            throw BTFFormatError("bad ELF section count")
        }

        var raw: [(name: UInt32, type: UInt32, range: Range<Int>, info: UInt32, header: Int, alignment: UInt64, size: UInt64)] = []
        raw.reserveCapacity(count)
        for index in 0..<count {
            let start = try header(index)
            let type = bytes.u32(at: start + 4)
            let offset = bytes.u64(at: start + 24)
            let size = type == Self.noBits ? 0 : bytes.u64(at: start + 32)
            guard offset <= UInt64(bytes.count), size <= UInt64(bytes.count) - offset else {
                throw BTFFormatError("ELF section \(index) is outside the file")
            }
            raw.append((bytes.u32(at: start), type, Int(offset)..<Int(offset + size), bytes.u32(at: start + 44),
                        start, bytes.u64(at: start + 48), bytes.u64(at: start + 32)))
        }
        let names = raw[namesIndex].range
        sections = raw.enumerated().map { index, entry in
            var name = ""
            let start = names.lowerBound + Int(entry.name)
            if start < names.upperBound {
                let end = bytes[start..<names.upperBound].firstIndex(of: 0) ?? names.upperBound
                name = String(decoding: bytes[start..<end], as: UTF8.self)
            }
            return Section(index: index, name: name, type: entry.type, range: entry.range, info: entry.info,
                           header: entry.header, alignment: entry.alignment, size: entry.size)
        }
    }

    func section(named name: String) -> Section? { sections.first { $0.name == name } }

    /// Relocation sections that apply to section `index`.
    func relocations(against index: Int) -> [Section] {
        sections.filter { Self.relocationTypes.contains($0.type) && Int($0.info) == index }
    }
}
