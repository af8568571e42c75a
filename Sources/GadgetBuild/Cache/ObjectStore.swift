import Foundation

/// Content-addressed files: `objects/<first two hex>/<sha256>`. Written through a temporary file and
/// renamed, checked against their name when read, so a torn or tampered entry is never used.
public struct ObjectStore: Sendable {
    public let root: URL

    public init(root: URL) { self.root = root }

    func path(_ digest: String) -> URL {
        root.appendingPathComponent(String(digest.prefix(2))).appendingPathComponent(digest)
    }

    /// Stores the file at `source`, returns its digest. An existing entry is kept.
    @discardableResult
    public func put(fileAt source: String) throws -> String {
        let data = try Data(contentsOf: URL(fileURLWithPath: source))
        return try put(data)
    }

    @discardableResult
    public func put(_ data: Data) throws -> String {
        let digest = ContentDigest.hex(data)
        let destination = path(digest)
        if FileManager.default.fileExists(atPath: destination.path) { return digest }
        try FileManager.default.createDirectory(at: destination.deletingLastPathComponent(), withIntermediateDirectories: true)
        try AtomicFile.write(data, to: destination)
        return digest
    }

    public enum Lookup: Equatable {
        case hit(Data)
        case missing
        /// The entry's bytes no longer hash to its name; it has been deleted.
        case corrupt
    }

    /// Reads an entry and checks its content; a corrupt entry is removed so that it is rebuilt.
    public func get(_ digest: String) -> Lookup {
        let url = path(digest)
        guard let data = FileManager.default.contents(atPath: url.path) else { return .missing }
        guard ContentDigest.hex(data) == digest else {
            try? FileManager.default.removeItem(at: url)
            return .corrupt
        }
        // Recently used entries survive pruning longest.
        utimes(url.path, nil)
        return .hit(data)
    }
}
