/// The section half of `BTFCanonicaliser`: .BTF and .BTF.ext bytes in, canonical bytes out.
extension BTFCanonicaliser {
    /// CO-RE relocation kinds whose instruction holds a local type id (BPF_CORE_TYPE_ID_LOCAL/TARGET).
    private static let typeIDRelocationKinds: Set<UInt32> = [6, 7]

    /// The canonical .BTF and .BTF.ext for these sections, types and strings renumbered. Without a
    /// path map they keep their sizes. With one, the strings line_info records use as file names are
    /// mapped (a replaced string is dropped unless something else uses it) and the string table is
    /// exactly as long as its strings, so .BTF's size follows the mapped paths, not the host's.
    static func canonicalise(btf: [UInt8], ext: [UInt8]?, pathMap: DebugPathMap = DebugPathMap([])) throws(BTFFormatError) -> Result {
        let section = try BTFRawSection(btf)
        let extInfo = try ext.map { bytes throws(BTFFormatError) in try BTFExtSection(bytes) }
        let order = try BTFCanonicalOrder(section)
        var strings = BTFStringTableBuilder(capacity: section.strings.count)
        // New offset by old offset (.max: not asked for yet).
        var renamed = [UInt32](repeating: .max, count: section.strings.count)
        func newOffset(_ old: UInt32) throws(BTFFormatError) -> UInt32 {
            guard Int(old) < renamed.count else { throw BTFFormatError("string offset \(old) is past .BTF's string table") }
            if renamed[Int(old)] != .max { return renamed[Int(old)] }
            let offset = strings.offset(of: try section.string(at: old))
            renamed[Int(old)] = offset
            return offset
        }
        // Old offsets of file names replaced by the map: left out of the table unless used elsewhere.
        var replacedFileNames = Set<UInt32>()
        func newFileNameOffset(_ old: UInt32) throws(BTFFormatError) -> UInt32 {
            guard !pathMap.isEmpty, Int(old) < renamed.count, let mapped = pathMap.map(try section.string(at: old)) else {
                return try newOffset(old)
            }
            replacedFileNames.insert(old)
            return strings.offset(of: mapped[...])
        }
        func newID(_ old: UInt32) throws(BTFFormatError) -> UInt32 {
            guard old != 0 else { return 0 }
            guard Int(old) <= order.newID.count else { throw BTFFormatError(".BTF.ext refers to type id \(old), past the last") }
            return order.newID[Int(old) - 1]
        }

        var types: [UInt8] = []
        types.reserveCapacity(section.types.count)
        for old in order.sequence {
            let record = section.records[old]
            let base = types.count - record.start
            types.append(contentsOf: btf[record.start..<(record.start + record.length)])
            for slot in section.stringSlots[record.strings] {
                types.setU32(try newOffset(btf.u32(at: slot)), at: base + slot)
            }
            for slot in section.refSlots[record.refs] {
                types.setU32(try newID(btf.u32(at: slot)), at: base + slot)
            }
        }
        var newExt = ext
        var instructions: [(section: String, offset: Int, typeID: UInt32)] = []
        if let extInfo, var rewritten = newExt {
            for slot in extInfo.stringSlots {
                let old = extInfo.bytes.u32(at: slot)
                rewritten.setU32(extInfo.fileNameSlots.contains(slot) ? try newFileNameOffset(old) : try newOffset(old), at: slot)
            }
            for slot in extInfo.typeSlots { rewritten.setU32(try newID(extInfo.bytes.u32(at: slot)), at: slot) }
            for (sectionName, record) in extInfo.coreRelocations where typeIDRelocationKinds.contains(rewritten.u32(at: record + 12)) {
                let name = String(decoding: try section.string(at: extInfo.bytes.u32(at: sectionName)), as: UTF8.self)
                instructions.append((name, Int(rewritten.u32(at: record)), rewritten.u32(at: record + 4)))
            }
            newExt = rewritten
        }
        try appendUnreferencedStrings(of: section, skipping: renamed, replaced: replacedFileNames, to: &strings)
        let table: [UInt8]
        if pathMap.isEmpty {
            guard strings.bytes.count <= section.strings.count else {
                throw BTFFormatError("the string table would grow from \(section.strings.count) to \(strings.bytes.count) bytes")
            }
            // Shorter only if the table held a string twice: NULs keep the section's size.
            table = strings.bytes + [UInt8](repeating: 0, count: section.strings.count - strings.bytes.count)
        } else {
            table = strings.bytes
        }

        var newBTF = btf
        newBTF.replaceSubrange(section.types, with: types)
        if table.count != section.strings.count {
            // str_len changes; the strings must be the last thing in the section for nothing else to move.
            guard section.strings.upperBound == btf.count, section.types.upperBound <= section.strings.lowerBound else {
                throw BTFFormatError(".BTF's string table is not at its end: cannot change its size")
            }
            newBTF.setU32(UInt32(table.count), at: 20)
        }
        newBTF.replaceSubrange(section.strings, with: table)
        let report = Report(
            typeCount: section.records.count, changed: newBTF != btf || newExt != ext,
            indistinguishableTypes: order.indistinguishable)
        return Result(btf: newBTF, ext: newExt, typeIDInstructions: instructions, report: report)
    }

    /// Strings in the old table that nothing refers to, sorted bytewise (kept so that, without a path
    /// map, the table's size does not change); file names the map replaced are not kept.
    private static func appendUnreferencedStrings(
        of section: BTFRawSection, skipping renamed: [UInt32], replaced: Set<UInt32>, to strings: inout BTFStringTableBuilder
    ) throws(BTFFormatError) {
        var unreferenced: [ArraySlice<UInt8>] = []
        var offset = 0
        while offset < section.strings.count {
            let string = try section.string(at: UInt32(offset))
            if renamed[offset] == .max && !replaced.contains(UInt32(offset)) && !strings.contains(string) { unreferenced.append(string) }
            offset += string.count + 1
        }
        for string in unreferenced.sorted(by: { $0.lexicographicallyPrecedes($1) }) {
            _ = strings.offset(of: string)
        }
    }
}
