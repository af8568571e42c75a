import Foundation

/// What a path is, asked with stat (symlinks followed) before anything opens it: opening a FIFO to
/// read it waits for a writer, and a device can be endless.
public enum FileKind: Equatable, Sendable {
    case missing
    case regular
    case directory
    case fifo
    case characterDevice
    case blockDevice
    case socket
    case other
    /// stat failed for another reason than a missing file (permission on a folder on the way, a loop, …).
    case unreadable(errno: Int32)

    public init(path: String) {
        var info = stat()
        guard stat(path, &info) == 0 else {
            let code = errno
            self = code == ENOENT || code == ENOTDIR ? .missing : .unreadable(errno: code)
            return
        }
        self.init(mode: info.st_mode)
    }

    public init(mode: mode_t) {
        switch mode & S_IFMT {
        case S_IFREG: self = .regular
        case S_IFDIR: self = .directory
        case S_IFIFO: self = .fifo
        case S_IFCHR: self = .characterDevice
        case S_IFBLK: self = .blockDevice
        case S_IFSOCK: self = .socket
        default: self = .other
        }
    }

    /// "a directory", "a FIFO (named pipe)", … for messages.
    public var phrase: String {
        switch self {
        case .missing: "missing"
        case .regular: "a regular file"
        case .directory: "a directory"
        case .fifo: "a FIFO (named pipe)"
        case .characterDevice: "a character device"
        case .blockDevice: "a block device"
        case .socket: "a socket"
        case .other: "not a regular file"
        case .unreadable(let code): "not accessible (\(SystemError.text(code)))"
        }
    }
}

/// errno as text, for messages built from the condition rather than from Foundation's error dumps.
public enum SystemError {
    public static func text(_ code: Int32) -> String {
        String(cString: strerror(code)).lowercased()
    }
}

/// Reads a whole regular file with open/read. The kind is checked with stat first, and again on the
/// open descriptor (opened non-blocking, so a file swapped for a FIFO meanwhile cannot hang the read).
public enum RegularFile {
    public enum Failure: Error, Equatable, Sendable {
        case notRegular(FileKind)
        case system(errno: Int32)

        public var reason: String {
            switch self {
            case .notRegular(.missing): "no such file"
            case .notRegular(let kind): "it is \(kind.phrase), not a regular file"
            case .system(let code): SystemError.text(code)
            }
        }
    }

    public static func read(_ path: String) throws(Failure) -> Data {
        let kind = FileKind(path: path)
        guard kind == .regular else { throw .notRegular(kind) }
        let descriptor = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard descriptor >= 0 else { throw .system(errno: errno) }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw .system(errno: errno) }
        guard info.st_mode & S_IFMT == S_IFREG else { throw .notRegular(FileKind(mode: info.st_mode)) }
        var data = Data()
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = chunk.withUnsafeMutableBytes { Foundation.read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw .system(errno: errno)
            }
            if count == 0 { return data }
            data.append(contentsOf: chunk[..<count])
        }
    }
}
