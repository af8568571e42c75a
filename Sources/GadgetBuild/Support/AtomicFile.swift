import Foundation

/// Writes files so that a reader sees either the old content or the whole new content, never a
/// prefix: the bytes go to a temporary sibling first and are renamed over the destination.
public enum AtomicFile {
    /// Writes `data` to `url` through a temporary file in the same folder, then renames it. The file
    /// gets `mode` whatever the umask (the cache's files are 0644, never world-writable). No fsync:
    /// cache entries are checked when read, and this is on the build's path.
    public static func write(_ data: Data, to url: URL, mode: mode_t = 0o644) throws {
        let temporary = temporarySibling(of: url)
        let descriptor = open(temporary.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard descriptor >= 0 else { throw FileWriteError(path: temporary.path, operation: "create", code: errno) }
        var failure: FileWriteError?
        if fchmod(descriptor, mode) != 0 { failure = FileWriteError(path: temporary.path, operation: "set the mode of", code: errno) }
        if failure == nil, let code = writeAll(data, to: descriptor) { failure = FileWriteError(path: temporary.path, operation: "write", code: code) }
        if close(descriptor) != 0, failure == nil { failure = FileWriteError(path: temporary.path, operation: "write", code: errno) }
        do {
            if let failure { throw failure }
            try replace(url, with: temporary)
        } catch {
            unlink(temporary.path)
            throw error
        }
    }

    /// Writes every byte, retrying short writes and EINTR; returns the errno of a failure.
    static func writeAll(_ data: Data, to descriptor: Int32) -> Int32? {
        data.withUnsafeBytes { buffer -> Int32? in
            var offset = 0
            while offset < buffer.count {
                let written = Foundation.write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                offset += written
            }
            return nil
        }
    }

    /// Moves a finished temporary file over `destination` with rename(2), atomic within one filesystem.
    public static func replace(_ destination: URL, with temporary: URL) throws {
        if rename(temporary.path, destination.path) != 0 {
            throw FileWriteError(path: destination.path, operation: "move a finished file to", code: errno)
        }
    }

    /// A unique name next to `url`, hidden and marked as temporary so that a crash leaves an obvious
    /// leftover; `TemporaryName` parses it back.
    public static func temporarySibling(of url: URL) -> URL {
        let name = ".\(url.lastPathComponent).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        return url.deletingLastPathComponent().appendingPathComponent(name)
    }
}

/// A failed system call while writing a file, shown as one line ("cannot write PATH: No space left
/// on device"); bridged as a POSIX error so that callers that look for the errno find it.
public struct FileWriteError: Error, CustomStringConvertible, LocalizedError, CustomNSError {
    public var path: String
    public var operation: String
    public var code: Int32

    public var description: String { "cannot \(operation) \(path): \(String(cString: strerror(code)))" }
    public var errorDescription: String? { description }
    public static var errorDomain: String { NSPOSIXErrorDomain }
    public var errorCode: Int { Int(code) }
    public var errorUserInfo: [String: Any] { [NSLocalizedDescriptionKey: description, NSFilePathErrorKey: path] }
}
