import Foundation

/// What a WebAssembly module declares, read from its binary form (magic, version, then sections of
/// id + LEB128 size): its imports and exports. gadgetc checks a module it built or packages with it —
/// a file that is not a module fails the build instead of making an image ig cannot run.
public struct WasmModule: Codable, Equatable, Sendable {
    public struct Export: Codable, Equatable, Sendable {
        public enum Kind: String, Codable, Sendable { case function, table, memory, global, tag }
        public var name: String
        public var kind: Kind
    }

    public var exports: [Export]
    /// `module.name` of every import.
    public var imports: [String]

    /// A reactor (what ig's wasm runtime instantiates and calls into) exports no `_start`: a command module
    /// runs its main and exits.
    public var isReactor: Bool { !exports.contains { $0.name == "_start" } }
    public var exportedFunctions: [String] { exports.filter { $0.kind == .function }.map(\.name) }

    public struct Malformed: Error, Equatable, CustomStringConvertible {
        public var reason: String
        public var description: String { "not a WebAssembly module: \(reason)" }
    }

    public init(bytes: Data) throws {
        var reader = Reader(bytes: [UInt8](bytes))
        guard try reader.take(4) == [0x00, 0x61, 0x73, 0x6d] else { throw Malformed(reason: "no \\0asm magic") }
        guard try reader.take(4) == [0x01, 0x00, 0x00, 0x00] else { throw Malformed(reason: "not version 1 of the binary format") }
        exports = []
        imports = []
        while !reader.atEnd {
            let id = try reader.byte()
            let size = Int(try reader.leb())
            var section = Reader(bytes: try reader.take(size))
            switch id {
            case 2:
                for _ in 0..<(try section.leb()) {
                    let module = try section.name(), field = try section.name()
                    imports.append("\(module).\(field)")
                    switch try section.byte() {
                    case 0: _ = try section.leb()
                    case 1: _ = try section.byte(); try section.limits()
                    case 2: try section.limits()
                    case 3: _ = try section.take(2)
                    case 4: _ = try section.byte(); _ = try section.leb()
                    case let kind: throw Malformed(reason: "import of unknown kind \(kind)")
                    }
                }
            case 7:
                for _ in 0..<(try section.leb()) {
                    let name = try section.name()
                    let kinds: [Export.Kind] = [.function, .table, .memory, .global, .tag]
                    let kind = Int(try section.byte())
                    _ = try section.leb()
                    guard kind < kinds.count else { throw Malformed(reason: "export '\(name)' of unknown kind \(kind)") }
                    exports.append(Export(name: name, kind: kinds[kind]))
                }
            case 0...13: break
            default: throw Malformed(reason: "unknown section id \(id)")
            }
        }
    }

    public init(contentsOf url: URL) throws {
        try self.init(bytes: try Data(contentsOf: url))
    }

    struct Reader {
        let bytes: [UInt8]
        var offset = 0
        var atEnd: Bool { offset >= bytes.count }

        mutating func byte() throws -> UInt8 {
            guard offset < bytes.count else { throw Malformed(reason: "truncated at byte \(offset)") }
            defer { offset += 1 }
            return bytes[offset]
        }

        mutating func take(_ count: Int) throws -> [UInt8] {
            guard count >= 0, count <= bytes.count - offset else { throw Malformed(reason: "truncated at byte \(offset)") }
            defer { offset += count }
            return Array(bytes[offset..<offset + count])
        }

        mutating func leb() throws -> UInt64 {
            var value: UInt64 = 0
            for shift in stride(from: 0, to: 64, by: 7) {
                let byte = try byte()
                value |= UInt64(byte & 0x7f) << UInt64(shift)
                if byte & 0x80 == 0 { return value }
            }
            throw Malformed(reason: "LEB128 number too long at byte \(offset)")
        }

        mutating func name() throws -> String {
            let bytes = try take(Int(try leb()))
            guard let text = String(bytes: bytes, encoding: .utf8) else { throw Malformed(reason: "a name is not UTF-8") }
            return text
        }

        mutating func limits() throws {
            let flags = try byte()
            _ = try leb()
            if flags & 1 != 0 { _ = try leb() }
        }
    }
}
