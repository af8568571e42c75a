import Foundation

/// Watches folders with inotify and reports which files changed, a batch at a time.
public final class FileWatcher: @unchecked Sendable {
    private let descriptor: Int32
    private var watches: [Int32: String] = [:]
    private let lock = NSLock()

    public init() throws {
        descriptor = inotify_init1(Int32(IN_CLOEXEC))
        guard descriptor >= 0 else {
            throw ExecutionError.step("cannot watch files: inotify_init1 failed (\(String(cString: strerror(errno))))")
        }
    }

    deinit { close(descriptor) }

    /// Watches `folders` (and only them) from now on. A folder that does not exist (deleted, not yet
    /// recreated) is waited for through its nearest existing parent, whose event names it: a folder
    /// removed and made again is watched again on the next call.
    public func watch(_ folders: Set<String>) {
        let wanted = Set(folders.map(Self.nearestExisting))
        lock.withLock {
            let current = Set(watches.values)
            for (wd, path) in watches where !wanted.contains(path) {
                inotify_rm_watch(descriptor, wd)
                watches[wd] = nil
            }
            let mask = UInt32(IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_DELETE_SELF | IN_MOVE_SELF)
            for folder in wanted.subtracting(current) {
                let wd = inotify_add_watch(descriptor, folder, mask)
                if wd >= 0 { watches[wd] = folder }
            }
        }
    }

    /// `folder` when it exists, else its nearest existing ancestor.
    static func nearestExisting(_ folder: String) -> String {
        var url = URL(fileURLWithPath: folder)
        while url.path != "/" && access(url.path, F_OK) != 0 { url.deleteLastPathComponent() }
        return url.path
    }

    /// Blocks until something changes, then keeps collecting for `settle` so that an editor's
    /// save (often several events) gives one batch. Returns the changed paths.
    public func nextChanges(settle: Duration = .milliseconds(60)) -> Set<String> {
        var changed = Set<String>()
        readEvents(into: &changed, timeoutMilliseconds: -1)
        let settleMilliseconds = Int32(settle.components.seconds * 1000 + settle.components.attoseconds / 1_000_000_000_000_000)
        while readEvents(into: &changed, timeoutMilliseconds: settleMilliseconds) {}
        return changed
    }

    /// Reads one buffer of events if any arrive within the timeout; false on timeout.
    @discardableResult
    private func readEvents(into changed: inout Set<String>, timeoutMilliseconds: Int32) -> Bool {
        var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        guard poll(&poller, 1, timeoutMilliseconds) > 0 else { return false }
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        let count = read(descriptor, &buffer, buffer.count)
        guard count > 0 else { return false }
        let folders = lock.withLock { watches }
        var offset = 0
        let headerSize = MemoryLayout<inotify_event>.size
        while offset + headerSize <= count {
            let (wd, mask, nameLength) = buffer.withUnsafeBytes { raw -> (Int32, UInt32, Int) in
                let event = raw.loadUnaligned(fromByteOffset: offset, as: inotify_event.self)
                return (event.wd, event.mask, Int(event.len))
            }
            let nameBytes = buffer[(offset + headerSize)..<min(count, offset + headerSize + nameLength)]
            let name = String(decoding: nameBytes.prefix { $0 != 0 }, as: UTF8.self)
            if let folder = folders[wd] { changed.insert(name.isEmpty ? folder : "\(folder)/\(name)") }
            // The folder itself went away (deleted, moved): the kernel dropped the watch; forget it, so
            // that the next `watch` adds it again (or waits for it through its parent).
            if mask & UInt32(IN_IGNORED) != 0 || mask & UInt32(IN_DELETE_SELF | IN_MOVE_SELF) != 0 {
                lock.withLock {
                    if mask & UInt32(IN_MOVE_SELF) != 0 { inotify_rm_watch(descriptor, wd) }
                    watches[wd] = nil
                }
            }
            offset += headerSize + nameLength
        }
        return true
    }
}
