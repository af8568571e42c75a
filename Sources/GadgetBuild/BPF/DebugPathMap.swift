/// The paths an object's BTF line info records for its source files, rewritten after the link: a
/// host folder (the gadget's, gadgetc's headers', vmlinux.h's) is replaced by the one ig's builder
/// has, so the bytes do not depend on where those folders are. Paths outside every folder stay.
/// (clang cannot record those paths itself: it reads each source line's text into BTF from the
/// recorded path, and loses lines when that path does not exist.)
public struct DebugPathMapping: Codable, Hashable, Sendable {
    /// An absolute folder, and what it is recorded as.
    public var from: String
    public var to: String

    public init(from: String, to: String) {
        self.from = from
        self.to = to
    }
}

/// Mappings applied to a path: the longest matching folder wins; a folder matches a path equal to it
/// or under it (whole components: /a/b matches /a/b/c, not /a/bc). "/" itself maps nothing.
struct DebugPathMap {
    private let mappings: [(from: [UInt8], to: [UInt8])]

    init(_ mappings: [DebugPathMapping]) {
        func trimmed(_ path: String) -> [UInt8] {
            var bytes = Array(path.utf8)
            while bytes.count > 1, bytes.last == UInt8(ascii: "/") { bytes.removeLast() }
            return bytes
        }
        self.mappings = mappings.map { (trimmed($0.from), trimmed($0.to)) }.filter { $0.from.count > 1 && $0.from.first == UInt8(ascii: "/") }
            .sorted { $0.from.count > $1.from.count }
    }

    var isEmpty: Bool { mappings.isEmpty }

    /// `path` with its folder replaced, or nil when no mapping applies.
    func map(_ path: ArraySlice<UInt8>) -> [UInt8]? {
        for mapping in mappings where path.starts(with: mapping.from) {
            let rest = path.dropFirst(mapping.from.count)
            guard rest.isEmpty || rest.first == UInt8(ascii: "/") else { continue }
            return mapping.to + rest
        }
        return nil
    }
}
