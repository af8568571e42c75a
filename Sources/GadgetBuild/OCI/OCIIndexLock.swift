import Foundation

/// ig's inter-process lock around read-modify-write of a store's index.json: an exclusive
/// `flock(2)` on `index.json.lock` in the store root (what ig's gofrs/flock takes on Linux), so
/// gadgetc and ig serialize against each other. flock locks belong to the open file description,
/// so two threads of one process that each open the file exclude each other too.
enum OCIIndexLock {
    static func withExclusiveLock<T>(in root: URL, _ body: () throws -> T) throws -> T {
        let url = root.appendingPathComponent(OCILayoutFile.indexLock)
        let fd = open(url.path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw OCIError.lockFailed(url, errno: errno) }
        defer { close(fd) }
        while flock(fd, LOCK_EX) != 0 {
            guard errno == EINTR else { throw OCIError.lockFailed(url, errno: errno) }
        }
        defer { flock(fd, LOCK_UN) }
        return try body()
    }

    /// Runs `body` under a shared lock so it never reads an index.json that ig is rewriting in
    /// place; without the lock file (no store yet, read-only store) it reads without locking.
    static func withSharedLockIfPossible<T>(in root: URL, _ body: () throws -> T) throws -> T {
        let url = root.appendingPathComponent(OCILayoutFile.indexLock)
        let fd = open(url.path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return try body() }
        defer { close(fd) }
        while flock(fd, LOCK_SH) != 0 {
            guard errno == EINTR else { return try body() }
        }
        defer { flock(fd, LOCK_UN) }
        return try body()
    }
}
