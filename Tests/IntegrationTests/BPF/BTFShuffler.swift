import Foundation
@testable import GadgetBuild

/// Renumbers an object's BTF types and reorders its string table by a seeded permutation — what
/// another clang run could have emitted for the same graph — with .BTF.ext following, and writes
/// the result to a copy of the object (sections keep their offsets and sizes).
enum BTFShuffler {
    struct Failure: Error, CustomStringConvertible { var description: String }

    static func shuffle(_ object: URL, seed: UInt64, to output: URL) throws {
        var file = [UInt8](try Data(contentsOf: object))
        let table = try ELFSectionTable(file)
        guard let btfSection = table.section(named: ".BTF") else { throw Failure(description: "no .BTF") }
        let btf = try BTFRawSection(Array(file[btfSection.range]))
        let extSection = table.section(named: ".BTF.ext")
        let ext = try extSection.map { try BTFExtSection(Array(file[$0.range])) }

        var state = seed
        func shuffled<T>(_ values: [T]) -> [T] {
            var result = values
            for index in result.indices.reversed() where index > 0 {
                state = state &* 6364136223846793005 &+ 1442695040888963407
                result.swapAt(index, Int((state >> 33) % UInt64(index + 1)))
            }
            return result
        }

        // Every string of the table, in a shuffled order.
        var all: [ArraySlice<UInt8>] = []
        var start: UInt32 = 0
        while Int(start) < btf.strings.count {
            let string = try btf.string(at: start)
            all.append(string)
            start += UInt32(string.count + 1)
        }
        var strings = BTFStringTableBuilder(capacity: btf.strings.count)
        for string in shuffled(all) { _ = strings.offset(of: string) }
        func newOffset(_ old: UInt32) throws -> UInt32 { strings.offset(of: try btf.string(at: old)) }

        let order = shuffled(Array(btf.records.indices))
        var newID = [UInt32](repeating: 0, count: order.count)
        for (position, old) in order.enumerated() { newID[old] = UInt32(position + 1) }
        func id(_ old: UInt32) -> UInt32 { old == 0 ? 0 : newID[Int(old) - 1] }

        var types: [UInt8] = []
        for old in order {
            let record = btf.records[old]
            let base = types.count - record.start
            types += btf.bytes[record.start..<(record.start + record.length)]
            for slot in btf.stringSlots[record.strings] { types.setU32(try newOffset(btf.bytes.u32(at: slot)), at: base + slot) }
            for slot in btf.refSlots[record.refs] { types.setU32(id(btf.bytes.u32(at: slot)), at: base + slot) }
        }
        var newBTF = btf.bytes
        newBTF.replaceSubrange(btf.types, with: types)
        guard strings.bytes.count <= btf.strings.count else { throw Failure(description: "string table grew") }
        newBTF.replaceSubrange(btf.strings, with: strings.bytes + [UInt8](repeating: 0, count: btf.strings.count - strings.bytes.count))
        file.replaceSubrange(btfSection.range, with: newBTF)

        if let ext, let extSection {
            var newExt = ext.bytes
            for slot in ext.stringSlots { newExt.setU32(try newOffset(ext.bytes.u32(at: slot)), at: slot) }
            for slot in ext.typeSlots { newExt.setU32(id(ext.bytes.u32(at: slot)), at: slot) }
            file.replaceSubrange(extSection.range, with: newExt)
        }
        try Data(file).write(to: output)
    }
}
