/// Fixed-size little-endian fields in a byte array (ELF headers, BTF and BTF.ext records). Callers
/// check bounds before reading; BPF objects are little-endian on both arches gadgetc builds.
extension Array where Element == UInt8 {
    func u16(at offset: Int) -> UInt16 {
        UInt16(self[offset]) | UInt16(self[offset + 1]) << 8
    }

    func u32(at offset: Int) -> UInt32 {
        withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: offset, as: UInt32.self)) }
    }

    func u64(at offset: Int) -> UInt64 {
        withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: offset, as: UInt64.self)) }
    }

    mutating func setU32(_ value: UInt32, at offset: Int) {
        withUnsafeMutableBytes { $0.storeBytes(of: value.littleEndian, toByteOffset: offset, as: UInt32.self) }
    }

    mutating func setU64(_ value: UInt64, at offset: Int) {
        withUnsafeMutableBytes { $0.storeBytes(of: value.littleEndian, toByteOffset: offset, as: UInt64.self) }
    }
}

/// Why a .BTF or .BTF.ext section (or the ELF around it) could not be rewritten; the caller turns it
/// into a `BPFError` naming the file.
struct BTFFormatError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
