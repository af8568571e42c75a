import Crypto
import Foundation

/// SHA-256 digests as lowercase hex, of bytes or of a file's content.
public enum ContentDigest {
    public static func hex(_ data: Data) -> String {
        SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
    }

    public static func hex(_ text: String) -> String { hex(Data(text.utf8)) }

    /// Digest of a regular file, read in chunks so that a large header does not sit in memory twice.
    /// Anything else is refused before a byte is read: a FIFO would block forever, a device such as
    /// /dev/zero never ends.
    public static func hex(fileAt path: String) throws -> String {
        // O_NONBLOCK: opening a FIFO with no writer must not wait; fstat then says what was opened.
        let descriptor = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard descriptor >= 0 else { throw UnreadableFile(path: path, reason: String(cString: strerror(errno))) }
        var info = stat()
        guard fstat(descriptor, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            close(descriptor)
            throw UnreadableFile(path: path, reason: "not a regular file")
        }
        let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        var hasher = SHA256()
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            hasher.update(data: chunk)
        }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }
}

/// A file that cannot be hashed: missing, unreadable, or not a regular file.
public struct UnreadableFile: Error, CustomStringConvertible {
    public var path: String
    public var reason: String
    public var description: String { "cannot read \(path): \(reason)" }
}
