import Foundation

/// Writes files so that a reader sees either the old content or the whole new content, never a
/// prefix: the bytes go to a temporary sibling first and are renamed over the destination.
public enum AtomicFile {
    /// Writes `data` to `url` through a temporary file in the same folder, then renames it.
    public static func write(_ data: Data, to url: URL) throws {
        let temporary = temporarySibling(of: url)
        do {
            try data.write(to: temporary, options: [])
            try replace(url, with: temporary)
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw error
        }
    }

    /// Moves a finished temporary file over `destination` with rename(2), atomic within one filesystem.
    public static func replace(_ destination: URL, with temporary: URL) throws {
        if rename(temporary.path, destination.path) != 0 {
            let code = errno
            throw CocoaError(.fileWriteUnknown, userInfo: [
                NSFilePathErrorKey: destination.path,
                NSUnderlyingErrorKey: NSError(domain: NSPOSIXErrorDomain, code: Int(code)),
            ])
        }
    }

    /// A unique name next to `url`, hidden and marked as temporary so that a crash leaves an obvious leftover.
    public static func temporarySibling(of url: URL) -> URL {
        let name = ".\(url.lastPathComponent).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        return url.deletingLastPathComponent().appendingPathComponent(name)
    }
}
