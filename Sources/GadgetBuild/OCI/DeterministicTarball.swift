import CLibbpf
import Foundation

/// A gzip-compressed tar archive whose bytes depend only on the entries given: sorted names, every
/// folder on the way listed once, owner 0:0, fixed modes, one modification time for all, no user or
/// group names, and a gzip header without a time or a file name. `tar czf` puts the packer's clock,
/// umask, uid and file order in; this is what makes the btfgen layer reproducible.
public struct DeterministicTarball {
    public struct Entry: Sendable {
        /// Path inside the archive, relative, `/`-separated.
        public var name: String
        public var contents: Data

        public init(name: String, contents: Data) {
            self.name = name
            self.contents = contents
        }
    }

    public enum Failure: Error, CustomStringConvertible {
        case nameTooLong(String)
        case invalidName(String)
        case compression(Int32)

        public var description: String {
            switch self {
            case .nameTooLong(let name): return "the archive path \(name) is longer than tar's ustar format holds (255 bytes); shorten its folder or file names"
            case .invalidName(let name): return "\(name) is not a relative path inside the archive"
            case .compression(let code): return "gzip compression failed (zlib error \(code))"
            }
        }
    }

    /// The archive, gzip-compressed; `modified` is every entry's time (seconds since 1970).
    public static func gzipped(_ entries: [Entry], modified: Int64) throws -> Data {
        try gzip(tar(entries, modified: modified))
    }

    /// The uncompressed ustar archive.
    public static func tar(_ entries: [Entry], modified: Int64) throws -> Data {
        var folders = Set<String>()
        var records: [(name: String, contents: Data?)] = []
        for entry in entries {
            let components = entry.name.split(separator: "/", omittingEmptySubsequences: false)
            guard !entry.name.isEmpty, !entry.name.hasPrefix("/"),
                  !components.contains(where: { $0.isEmpty || $0 == "." || $0 == ".." }) else {
                throw Failure.invalidName(entry.name)
            }
            for depth in 1..<components.count {
                let folder = components[..<depth].joined(separator: "/") + "/"
                if folders.insert(folder).inserted { records.append((folder, nil)) }
            }
            records.append((entry.name, entry.contents))
        }
        // Byte order, as `LC_ALL=C sort` would list them; a folder's "x/" sorts before its "x/…".
        records.sort { Array($0.name.utf8).lexicographicallyPrecedes(Array($1.name.utf8)) }
        var archive = Data()
        for record in records {
            archive.append(try header(name: record.name, size: record.contents?.count ?? 0, modified: modified, isFolder: record.contents == nil))
            if let contents = record.contents {
                archive.append(contents)
                archive.append(Data(count: (512 - contents.count % 512) % 512))
            }
        }
        archive.append(Data(count: 1024))  // two empty blocks end the archive
        return archive
    }

    /// One 512-byte ustar header.
    static func header(name: String, size: Int, modified: Int64, isFolder: Bool) throws -> Data {
        let bytes = Array(name.utf8)
        var (prefix, short) = ([UInt8](), bytes)
        if bytes.count > 100 {
            // ustar splits a long path at a '/': up to 155 bytes of prefix, up to 100 of name.
            guard let cut = bytes.indices.last(where: { bytes[$0] == UInt8(ascii: "/") && $0 <= 155 && bytes.count - $0 - 1 <= 100 && $0 > 0 })
            else { throw Failure.nameTooLong(name) }
            prefix = Array(bytes[..<cut])
            short = Array(bytes[(cut + 1)...])
        }
        var block = [UInt8](repeating: 0, count: 512)
        func put(_ field: [UInt8], at offset: Int) { block.replaceSubrange(offset..<(offset + field.count), with: field) }
        func octal(_ value: Int64, width: Int) -> [UInt8] {
            let digits = String(value, radix: 8)
            return Array((String(repeating: "0", count: max(0, width - 1 - digits.count)) + digits).utf8) + [0]
        }
        put(short, at: 0)
        put(octal(isFolder ? 0o755 : 0o644, width: 8), at: 100)
        put(octal(0, width: 8), at: 108)  // uid
        put(octal(0, width: 8), at: 116)  // gid
        put(octal(Int64(size), width: 12), at: 124)
        put(octal(max(0, modified), width: 12), at: 136)
        put(Array(repeating: UInt8(ascii: " "), count: 8), at: 148)  // checksum, counted as spaces
        block[156] = isFolder ? UInt8(ascii: "5") : UInt8(ascii: "0")
        put(Array("ustar".utf8) + [0] + Array("00".utf8), at: 257)
        put(octal(0, width: 8), at: 329)  // devmajor
        put(octal(0, width: 8), at: 337)  // devminor
        put(prefix, at: 345)
        let checksum = block.reduce(0) { $0 + Int64($1) }
        put(Array(octal(checksum, width: 7)) + [UInt8(ascii: " ")], at: 148)
        return Data(block)
    }

    /// gzip (RFC 1952) with zlib at level 9: header time 0, no name, OS byte 3 (Unix) as zlib writes it.
    static func gzip(_ data: Data) throws -> Data {
        var stream = z_stream()
        // windowBits 15 + 16: a gzip wrapper instead of zlib's.
        var status = deflateInit2_(&stream, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else { throw Failure.compression(status) }
        defer { deflateEnd(&stream) }
        let bound = Int(deflateBound(&stream, uLong(data.count)))
        var output = [UInt8](repeating: 0, count: bound)
        var input = [UInt8](data)
        let produced: Int = input.withUnsafeMutableBufferPointer { inputBuffer in
            output.withUnsafeMutableBufferPointer { outputBuffer in
                stream.next_in = inputBuffer.baseAddress
                stream.avail_in = uInt(inputBuffer.count)
                stream.next_out = outputBuffer.baseAddress
                stream.avail_out = uInt(outputBuffer.count)
                status = deflate(&stream, Z_FINISH)
                return outputBuffer.count - Int(stream.avail_out)
            }
        }
        guard status == Z_STREAM_END else { throw Failure.compression(status) }
        return Data(output[..<produced])
    }
}
