/// A BTF string table built in the order strings are first asked for: "" at offset 0, each string
/// once, NUL-terminated.
struct BTFStringTableBuilder {
    private(set) var bytes: [UInt8] = [0]
    private var offsets: [Key: UInt32] = [Key([]): 0]

    /// A string's bytes, hashed as one block (ArraySlice's own hashing goes byte by byte).
    private struct Key: Hashable {
        let bytes: ArraySlice<UInt8>
        init(_ bytes: ArraySlice<UInt8>) { self.bytes = bytes }
        func hash(into hasher: inout Hasher) { bytes.withUnsafeBytes { hasher.combine(bytes: $0) } }
        static func == (a: Key, b: Key) -> Bool { a.bytes.elementsEqual(b.bytes) }
    }

    init(capacity: Int) { bytes.reserveCapacity(capacity) }

    func contains(_ string: ArraySlice<UInt8>) -> Bool { offsets[Key(string)] != nil }

    /// The offset of `string`, added at the end if it is not in the table yet.
    mutating func offset(of string: ArraySlice<UInt8>) -> UInt32 {
        if let offset = offsets[Key(string)] { return offset }
        let offset = UInt32(bytes.count)
        offsets[Key(string)] = offset
        bytes.append(contentsOf: string)
        bytes.append(0)
        return offset
    }
}
