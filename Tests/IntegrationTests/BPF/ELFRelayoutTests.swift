import Foundation
import Testing
@testable import GadgetBuild

/// `ELFRelayout` on objects libbpf's linker made: the layout it computes is libelf's, a section can
/// grow or shrink, and libbpf still opens the result.
@Suite("ELF re-layout", .enabled(if: BPFTestBench.hasClang, "needs a clang with the BPF target"))
struct ELFRelayoutTests {
    /// A linked object (two programs, a map, BTF and .BTF.ext).
    static func linkedObject(in directory: URL) throws -> URL {
        let linked = directory.appendingPathComponent("linked.bpf.o")
        try BPFLinker.link([
            try BPFTestBench.compile(BPFSources.definitions, named: "definitions", in: directory),
            try BPFTestBench.compile(BPFSources.uses, named: "uses", in: directory),
        ], into: linked)
        return linked
    }

    /// .BTF with `extra` more bytes of strings at the end of its string table.
    static func growing(_ btf: [UInt8], by extra: Int) -> [UInt8] {
        var grown = btf + Array(repeating: UInt8(ascii: "x"), count: extra - 1) + [0]
        grown.setU32(btf.u32(at: 20) + UInt32(extra), at: 20)
        return grown
    }

    @Test func nothingReplacedIsTheSameBytes() throws {
        let directory = try BPFTestBench.makeDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let bytes = [UInt8](try Data(contentsOf: try Self.linkedObject(in: directory)))
        #expect(try ELFRelayout.relayout(bytes, replacing: [:]) == bytes)
        let btf = try #require(try ELFSectionTable(bytes).section(named: ".BTF"))
        #expect(try ELFRelayout.relayout(bytes, replacing: [btf.index: Array(bytes[btf.range])]) == bytes)
    }

    @Test(arguments: [1, 5, 64, 4099])
    func aSectionGrowsThenShrinksBack(extra: Int) throws {
        let directory = try BPFTestBench.makeDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let bytes = [UInt8](try Data(contentsOf: try Self.linkedObject(in: directory)))
        let before = try ELFSectionTable(bytes)
        let btf = try #require(before.section(named: ".BTF"))
        let grownBTF = Self.growing(Array(bytes[btf.range]), by: extra)
        let grown = try ELFRelayout.relayout(bytes, replacing: [btf.index: grownBTF])

        let after = try ELFSectionTable(grown)
        #expect(after.sections.count == before.sections.count)
        for (old, new) in zip(before.sections, after.sections) where old.index != 0 {
            #expect(old.name == new.name && old.type == new.type)
            #expect(new.range.lowerBound % Int(max(new.alignment, 1)) == 0, "\(new.name) is aligned")
            #expect(Array(grown[new.range]) == (old.index == btf.index ? grownBTF : Array(bytes[old.range])), "\(new.name)")
        }
        #expect(grown.u64(at: 0x28) % 8 == 0, "the section header table is 8-aligned")
        #expect(Int(grown.u64(at: 0x28)) + after.sections.count * Int(grown.u16(at: 0x3A)) == grown.count, "the table ends the file")
        #expect(grown.count >= bytes.count + extra - 8)

        // libbpf opens it and finds the same programs, maps and types.
        let grownFile = directory.appendingPathComponent("grown.bpf.o")
        try Data(grown).write(to: grownFile)
        let original = try BPFObjectInspector.inspect(directory.appendingPathComponent("linked.bpf.o"))
        let reopened = try BPFObjectInspector.inspect(grownFile)
        #expect(reopened.programs == original.programs && reopened.maps == original.maps && reopened.hasBTF)

        // Shrinking it back gives the linker's own bytes.
        #expect(try ELFRelayout.relayout(grown, replacing: [btf.index: Array(bytes[btf.range])]) == bytes)
    }
}
