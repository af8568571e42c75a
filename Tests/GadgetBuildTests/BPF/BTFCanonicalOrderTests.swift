import CLibbpf
import Foundation
import Testing
@testable import GadgetBuild

/// The canonical BTF order on hand-built BTF: every numbering of one type graph (and every order
/// of its strings) gives the same bytes, including a struct → pointer → struct cycle, two
/// structs with the same name and layout that differ only in a member's type, and .BTF.ext.
@Suite("BTF canonical order")
struct BTFCanonicalOrderTests {
    static let graph = HandBuiltBTF(types: [
        ("int", .int("int", size: 4, encoding: Int32(BTF_INT_SIGNED))),
        ("long", .int("long", size: 8, encoding: Int32(BTF_INT_SIGNED))),
        ("char", .int("char", size: 1, encoding: Int32(BTF_INT_CHAR))),
        ("double", .float("double", size: 8)),
        ("node", .structure("node", size: 16, members: [("next", "node*", 0), ("value", "int", 64)])),
        ("node*", .pointer("node")),
        ("pair.int", .structure("pair", size: 8, members: [("a", "int", 0)])),
        ("pair.long", .structure("pair", size: 8, members: [("a", "long", 0)])),
        ("pair_t", .typedef("pair_t", "pair.int")),
        ("const int", .constant("int")),
        ("volatile const int", .volatile("const int")),
        ("char[16]", .array(of: "char", index: "int", count: 16)),
        ("node[2]", .array(of: "node", index: "int", count: 2)),
        ("mode", .enumeration("mode", values: [("OFF", 0), ("ON", 1), ("NEG", -1)])),
        ("big", .enum64("big", values: [("HUGE", 1 << 40)])),
        ("opaque", .forward("opaque")),
        ("opaque*", .pointer("opaque")),
        ("holder", .union("holder", size: 32, members: [("name", "char[16]", 0), ("p", "opaque*", 0), ("nodes", "node[2]", 0)])),
        ("proto", .proto(returns: "int", parameters: [("n", "node*"), ("p", "pair_t")])),
        ("f", .function("f", proto: "proto")),
        ("g", .function("g", proto: "proto")),
        ("const char", .constant("char")),
        ("const char*", .pointer("const char")),
        ("varargs", .proto(returns: nil, parameters: [("fmt", "const char*"), ("", nil)])),
        ("log", .function("log", proto: "varargs")),
        ("v", .variable("v", "pair.long")),
        ("w", .variable("w", "volatile const int")),
        ("u", .variable("u", "holder")),
        (".data", .section(".data", size: 56, variables: [("v", 0, 8), ("w", 8, 4), ("u", 16, 32)])),
        ("tag", .declTag("hot", on: "f", component: -1)),
        ("member tag", .declTag("list", on: "node", component: 0)),
        ("user", .typeTag("user", "int")),
        ("user*", .pointer("user")),
        ("restrict node*", .restrict("node*")),
        ("anonymous.int", .structure("", size: 4, members: [("x", "int", 0)])),
        ("anonymous.char", .structure("", size: 4, members: [("x", "char", 0)])),
        ("double*", .pointer("double")),
        ("mode*", .pointer("mode")),
        ("big*", .pointer("big")),
    ], extraStrings: ["prog", "file.c", "return 0;", "0:1"])

    /// Identity, reversed, and seeded shuffles of the graph's types.
    static var orders: [[Int]] {
        let identity = Array(graph.types.indices)
        var result = [identity, identity.reversed()]
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for _ in 0..<6 {
            var order = identity
            for index in order.indices.reversed() where index > 0 {
                state = state &* 6364136223846793005 &+ 1442695040888963407
                order.swapAt(index, Int((state >> 33) % UInt64(index + 1)))
            }
            result.append(order)
        }
        return result
    }

    /// A .BTF.ext naming the built BTF's types and strings: one func_info, one line_info, one
    /// core_relo record, all in section "prog".
    static func ext(for built: HandBuiltBTF.Built) -> [UInt8] {
        var words: [UInt32] = [0, 32, 0, 20, 20, 28, 48, 28]
        words += [8, built.strings["prog"]!, 1, 0, built.ids["f"]!]
        words += [16, built.strings["prog"]!, 1, 0, built.strings["file.c"]!, built.strings["return 0;"]!, 3 << 10 | 5]
        words += [16, built.strings["prog"]!, 1, 8, built.ids["node"]!, built.strings["0:1"]!, 0]
        var bytes = words.flatMap { word in (0..<4).map { UInt8(truncatingIfNeeded: word >> (8 * $0)) } }
        bytes[0] = 0x9F
        bytes[1] = 0xEB
        bytes[2] = 1
        return bytes
    }

    @Test func everyNumberingOfTheGraphGivesTheSameBytes() throws {
        var inputs: Set<[UInt8]> = []
        var outputs: Set<[UInt8]> = []
        var extOutputs: Set<[UInt8]> = []
        for (index, order) in Self.orders.enumerated() {
            let built = try Self.graph.build(order: order, extraStringsFirst: index % 2 == 1)
            inputs.insert(built.bytes)
            let result = try BTFCanonicaliser.canonicalise(btf: built.bytes, ext: Self.ext(for: built))
            #expect(result.btf.count == built.bytes.count)
            #expect(result.report.typeCount == Self.graph.types.count)
            #expect(result.report.indistinguishableTypes == 0)
            outputs.insert(result.btf)
            extOutputs.insert(result.ext!)
        }
        #expect(inputs.count == Self.orders.count, "the inputs really are different numberings")
        #expect(outputs.count == 1)
        #expect(extOutputs.count == 1)
    }

    @Test func canonicalisingTwiceChangesNothing() throws {
        let built = try Self.graph.build(order: Self.orders[3])
        let once = try BTFCanonicaliser.canonicalise(btf: built.bytes, ext: Self.ext(for: built))
        #expect(once.report.changed)
        let twice = try BTFCanonicaliser.canonicalise(btf: once.btf, ext: once.ext)
        #expect(!twice.report.changed)
        #expect(twice.btf == once.btf && twice.ext == once.ext)
    }

    @Test func libbpfReadsTheSameTypesWithTheSameReferences() throws {
        let built = try Self.graph.build(order: Self.orders[2])
        let canonical = try BTFCanonicaliser.canonicalise(btf: built.bytes, ext: nil).btf
        let before = try #require(BTFDescription(built.bytes))
        defer { before.free() }
        let after = try #require(BTFDescription(canonical))
        defer { after.free() }
        #expect(after.count == before.count)
        #expect(after.lines == before.lines)
    }

    @Test func theWalkStartsAtFunctionsAndFollowsReferencesInOrder() throws {
        let built = try Self.graph.build(order: Self.orders[5])
        let canonical = try BTFCanonicaliser.canonicalise(btf: built.bytes, ext: nil).btf
        let btf = try #require(BTFDescription(canonical))
        defer { btf.free() }
        // f, its prototype, the return type, the first parameter (node *), what it points to
        // (node, whose members lead back to node * and int, already numbered: the cycle ends),
        // the second parameter (pair_t) and the struct behind it.
        let expected: [(Int, String)] = [
            (BTF_KIND_FUNC, "f"), (BTF_KIND_FUNC_PROTO, ""), (BTF_KIND_INT, "int"), (BTF_KIND_PTR, ""),
            (BTF_KIND_STRUCT, "node"), (BTF_KIND_TYPEDEF, "pair_t"), (BTF_KIND_STRUCT, "pair"),
            (BTF_KIND_FUNC, "g"), (BTF_KIND_FUNC, "log"),
        ]
        for (index, (kind, name)) in expected.enumerated() {
            let id = UInt32(index + 1)
            #expect(btf.kind(id) == kind && btf.name(of: id) == name, "id \(id): \(btf.describe(id, depth: 0))")
        }
        let node = btf_members(btf__type_by_id(btf.btf, 5))!
        #expect(node[0].type == 4, "node.next is the pointer to node")
        #expect(btf__type_by_id(btf.btf, 4).pointee.type == 5)
        // The pair behind pair_t has an int member; the other pair (v's type) a long one.
        #expect(btf.name(of: btf_members(btf__type_by_id(btf.btf, 7))![0].type) == "int")
        let pairs = (1...UInt32(btf.count)).filter { btf.kind($0) == BTF_KIND_STRUCT && btf.name(of: $0) == "pair" }
        #expect(pairs.count == 2)
        #expect(pairs.map { btf.name(of: btf_members(btf__type_by_id(btf.btf, $0))![0].type) } == ["int", "long"])
        // The string table starts with the names in the order the records use them (f, its
        // prototype's parameters n and p, int, node).
        let stringsStart = 24 + Int(canonical.u32(at: 16))
        let strings = Array(canonical[stringsStart..<(stringsStart + 16)])
        #expect(strings == Array("\0f\0n\0p\0int\0node\0".utf8))
    }

    @Test func extRecordsFollowTheirTypesAndStrings() throws {
        let built = try Self.graph.build(order: Self.orders[4], extraStringsFirst: true)
        let result = try BTFCanonicaliser.canonicalise(btf: built.bytes, ext: Self.ext(for: built))
        let btf = try #require(BTFDescription(result.btf))
        defer { btf.free() }
        let ext = try #require(result.ext)
        // func_info at 32: rec_size, sec_name_off, num_info, insn_off, type_id.
        #expect(btf.name(ext.u32(at: 36)) == "prog")
        #expect(btf.kind(ext.u32(at: 48)) == BTF_KIND_FUNC && btf.name(of: ext.u32(at: 48)) == "f")
        // line_info at 52: rec_size, sec, num, insn_off, file_name_off, line_off, line_col.
        #expect(btf.name(ext.u32(at: 68)) == "file.c" && btf.name(ext.u32(at: 72)) == "return 0;")
        #expect(ext.u32(at: 76) == 3 << 10 | 5)
        // core_relo at 80: rec_size, sec, num, insn_off, type_id, access_str_off, kind.
        #expect(btf.name(of: ext.u32(at: 96)) == "node" && btf.name(ext.u32(at: 100)) == "0:1")
        // .BTF.ext's strings follow the types' own, in .BTF.ext's order.
        #expect(ext.u32(at: 36) < ext.u32(at: 68) && ext.u32(at: 68) < ext.u32(at: 72) && ext.u32(at: 72) < ext.u32(at: 100))
    }

    @Test func indistinguishableDuplicatesAreCountedAndStillGiveOneResult() throws {
        var graph = Self.graph
        graph.types += [("const long 1", .constant("long")), ("const long 2", .constant("long"))]
        var outputs: Set<[UInt8]> = []
        for order in [Array(graph.types.indices), graph.types.indices.reversed()] {
            let result = try BTFCanonicaliser.canonicalise(btf: try graph.build(order: order).bytes, ext: nil)
            #expect(result.report.indistinguishableTypes == 2)
            outputs.insert(result.btf)
        }
        #expect(outputs.count == 1)
    }

    @Test func unknownKindsAndBadReferencesAreRefused() throws {
        var bytes = try Self.graph.build(order: Self.orders[0]).bytes
        let firstType = 24
        var broken = bytes
        broken.setU32(UInt32(31) << 24, at: firstType + 4)
        #expect(throws: BTFFormatError.self) { try BTFCanonicaliser.canonicalise(btf: broken, ext: nil) }
        // The pointer "node*" (id 6 in the identity order) pointing past the last type.
        let pointer = try BTFRawSection(bytes).records[5]
        #expect(pointer.kind == BTF_KIND_PTR)
        bytes.setU32(999, at: pointer.start + 8)
        let error = try #require(throws: BTFFormatError.self) { try BTFCanonicaliser.canonicalise(btf: bytes, ext: nil) }
        #expect(error.description.contains("999"))
    }
}
