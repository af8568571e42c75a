/// Writes a 64-bit little-endian relocatable ELF object again with some sections' contents
/// replaced by bytes of another size: the ELF header first, then every section in index order, each
/// at the next offset aligned to its sh_addralign (SHT_NOBITS ones take no file space), then the
/// section header table (8-aligned); sh_offset, sh_size and e_shoff are updated, every gap is zero.
/// This is the layout libelf gives a file libbpf's linker writes, so an object made by the linker
/// comes out byte for byte the same when nothing is replaced.
enum ELFRelayout {
    static func relayout(_ bytes: [UInt8], replacing contents: [Int: [UInt8]]) throws(BTFFormatError) -> [UInt8] {
        let table = try ELFSectionTable(bytes)
        guard bytes.u16(at: 0x10) == 1 else { throw BTFFormatError("not a relocatable ELF object") }
        guard bytes.u64(at: 0x20) == 0, bytes.u16(at: 0x38) == 0 else { throw BTFFormatError("the ELF object has program headers") }
        let headerSize = Int(bytes.u16(at: 0x34))
        let entrySize = Int(bytes.u16(at: 0x3A))
        guard headerSize >= 64, headerSize <= bytes.count else { throw BTFFormatError("bad ELF header size") }

        var output = Array(bytes[0..<headerSize])
        var headers: [[UInt8]] = []
        for section in table.sections {
            var header = Array(bytes[section.header..<(section.header + entrySize)])
            guard section.index != 0 else { headers.append(header); continue }
            let body = contents[section.index].map { ArraySlice($0) } ?? bytes[section.range]
            let alignment = Int(clamping: max(section.alignment, 1))
            let offset = (output.count + alignment - 1) / alignment * alignment
            if section.type == ELFSectionTable.noBits {
                header.setU64(UInt64(offset), at: 24)
            } else {
                output.append(contentsOf: repeatElement(0, count: offset - output.count))
                output.append(contentsOf: body)
                header.setU64(UInt64(offset), at: 24)
                header.setU64(UInt64(body.count), at: 32)
            }
            headers.append(header)
        }
        let tableOffset = (output.count + 7) / 8 * 8
        output.append(contentsOf: repeatElement(0, count: tableOffset - output.count))
        for header in headers { output.append(contentsOf: header) }
        output.setU64(UInt64(tableOffset), at: 0x28)
        return output
    }
}
