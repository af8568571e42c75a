import CLibbpf
import Foundation

/// An order of a BTF's types that depends only on the type graph, not on the ids clang (or libbpf's
/// dedup) happened to give them.
///
/// 1. Each type gets a local signature: what the record says apart from type ids — named before
///    anonymous, kind, name, the record's own numbers (size, vlen, kind flag, int encoding, array
///    length, member bit offsets, enum values, linkage, component index…) and the names of its
///    members, enumerators and parameters. Types are ranked by it (bytewise).
/// 2. Colour refinement: a type's next rank is its rank followed by the ranks of the types it
///    refers to, in the record's order (void ranks lowest), ranked again; repeated until no class
///    splits (3–4 rounds for the samples). Two types then share a rank only if no walk through the graph tells them apart
///    (their infinite unfoldings are equal), so two same-named structs with different members, or
///    the two ends of a struct → pointer → struct cycle, get different ranks whatever their ids.
/// 3. Depth-first, pre-order walk: roots in rank order (so named functions, data sections,
///    variables, structs… by name, then anonymous types), from each one the types it refers to in
///    the record's order (struct members in declaration order, return type then parameters,
///    element then index type, section variables in offset order); a type gets the next id when
///    it is first reached. Cycles end at types already numbered.
///
/// Types that share a final rank are indistinguishable by construction; only the walk's choice
/// among them could depend on the input order, and then only between roots. libbpf's dedup
/// merges such types, so linked objects have none (`indistinguishable` counts them).
struct BTFCanonicalOrder {
    /// The old index (type id − 1) of the type at each new position.
    let sequence: [Int]
    /// The new id of each old index.
    let newID: [UInt32]
    /// How many types share their final rank with another type.
    let indistinguishable: Int

    init(_ section: BTFRawSection) throws(BTFFormatError) {
        let count = section.records.count
        let targets = section.refSlots.map { Int(section.ref($0)) - 1 }  // −1: void
        let rank = try Self.refinedRanks(section, targets: targets)

        var ties = [Int](repeating: 0, count: count)
        for value in rank { ties[value] += 1 }
        indistinguishable = ties.reduce(0) { $0 + ($1 > 1 ? $1 : 0) }

        let roots = (0..<count).sorted { rank[$0] != rank[$1] ? rank[$0] < rank[$1] : $0 < $1 }
        var position = [Int](repeating: -1, count: count)
        var sequence: [Int] = []
        sequence.reserveCapacity(count)
        var stack: [Int] = []
        for root in roots where position[root] < 0 {
            stack.append(root)
            while let type = stack.popLast() {
                guard position[type] < 0 else { continue }
                position[type] = sequence.count
                sequence.append(type)
                for slot in section.records[type].refs.reversed() where targets[slot] >= 0 && position[targets[slot]] < 0 {
                    stack.append(targets[slot])
                }
            }
        }
        self.sequence = sequence
        newID = position.map { UInt32($0 + 1) }
    }

    /// Stable colour-refinement ranks, 0 ..< number of classes, ordered by local signature first.
    private static func refinedRanks(_ section: BTFRawSection, targets: [Int]) throws(BTFFormatError) -> [Int] {
        let records = section.records
        let signatures = try records.map { record throws(BTFFormatError) in try signature(record, in: section) }
        var order = Array(records.indices)
        order.sort { precedes(signatures[$0], signatures[$1]) }
        var rank = [Int](repeating: 0, count: records.count)
        var classes = assign(&rank, along: order) { signatures[$0] == signatures[$1] }

        let refs = records.map(\.refs)
        while classes < records.count {
            let previous = rank
            /// Orders two types of one class by the ranks of the types they refer to.
            func compare(_ a: Int, _ b: Int) -> Int {
                for (slotA, slotB) in zip(refs[a], refs[b]) {
                    let rankA = targets[slotA] < 0 ? -1 : previous[targets[slotA]]
                    let rankB = targets[slotB] < 0 ? -1 : previous[targets[slotB]]
                    if rankA != rankB { return rankA < rankB ? -1 : 1 }
                }
                return refs[a].count == refs[b].count ? 0 : (refs[a].count < refs[b].count ? -1 : 1)
            }
            // `order` is sorted by rank, so each class is a run of it: sort the runs that can split.
            var start = 0
            while start < order.count {
                var end = start + 1
                while end < order.count && previous[order[end]] == previous[order[start]] { end += 1 }
                if end - start > 1 { order[start..<end].sort { compare($0, $1) < 0 } }
                start = end
            }
            let refined = assign(&rank, along: order) { previous[$0] == previous[$1] && compare($0, $1) == 0 }
            if refined == classes { break }
            classes = refined
        }
        return rank
    }

    /// Bytewise order (memcmp, then the shorter first): `lexicographicallyPrecedes`, faster.
    private static func precedes(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        let common = min(a.count, b.count)
        let order = a.withUnsafeBytes { a in b.withUnsafeBytes { b in memcmp(a.baseAddress!, b.baseAddress!, common) } }
        return order != 0 ? order < 0 : a.count < b.count
    }

    /// Numbers `order` (sorted) from 0, a new number where `same` says the neighbours differ;
    /// returns how many numbers it used.
    private static func assign(_ rank: inout [Int], along order: [Int], same: (Int, Int) -> Bool) -> Int {
        var current = 0
        for (index, type) in order.enumerated() {
            if index > 0 && !same(order[index - 1], type) { current += 1 }
            rank[type] = current
        }
        return order.isEmpty ? 0 : current + 1
    }

    /// Named first, then by kind in this order (functions and data sections lead, so that the walk
    /// starts from what the program uses).
    private static let kindRank: [Int: UInt8] = {
        let order = [
            BTF_KIND_FUNC, BTF_KIND_DATASEC, BTF_KIND_VAR, BTF_KIND_STRUCT, BTF_KIND_UNION, BTF_KIND_ENUM,
            BTF_KIND_ENUM64, BTF_KIND_FWD, BTF_KIND_TYPEDEF, BTF_KIND_INT, BTF_KIND_FLOAT, BTF_KIND_TYPE_TAG,
            BTF_KIND_DECL_TAG, BTF_KIND_PTR, BTF_KIND_ARRAY, BTF_KIND_CONST, BTF_KIND_VOLATILE,
            BTF_KIND_RESTRICT, BTF_KIND_FUNC_PROTO,
        ]
        return Dictionary(uniqueKeysWithValues: order.enumerated().map { ($1, UInt8($0)) })
    }()

    /// Everything the record says except type ids, with names spelled out instead of offsets; a
    /// prefix-free encoding, so that bytewise order is a total order on what it encodes.
    private static func signature(_ record: BTFRawSection.Record, in section: BTFRawSection) throws(BTFFormatError) -> [UInt8] {
        let strings = section.stringSlots[record.strings]
        let name = try section.string(at: section.bytes.u32(at: record.start))
        var result: [UInt8] = [name.isEmpty ? 1 : 0, kindRank[record.kind] ?? 0xFF]
        result.reserveCapacity(2 + name.count + 1 + record.length + 16 * strings.count)
        result.append(contentsOf: name)
        result.append(0)
        let fields = result.count
        result.append(contentsOf: section.bytes[record.start..<(record.start + record.length)])
        for slot in section.refSlots[record.refs] + strings {
            let at = fields + slot - record.start
            result.replaceSubrange(at..<(at + 4), with: [0, 0, 0, 0])
        }
        for slot in strings.dropFirst() {
            result.append(contentsOf: try section.string(at: section.bytes.u32(at: slot)))
            result.append(0)
        }
        return result
    }
}
