import CLibbpf
import Foundation

/// The libbpf that gadgetc is linked with (statically: Debian 12 ships 1.1).
public enum Libbpf {
    /// "MAJOR.MINOR" as the linked library reports it at run time, e.g. "1.1".
    public static var version: String {
        "\(libbpf_major_version()).\(libbpf_minor_version())"
    }
}

/// The one way into libbpf: every libbpf call in gadgetc runs inside `LibbpfSession.run`.
///
/// libbpf's print callback is process-global, so sessions run one at a time (a process-wide lock):
/// that keeps each session's captured messages its own and keeps libbpf's few globals (print
/// callback, feature-probe cache) out of races. Sessions are short (a link 2–3 ms, an open < 1 ms,
/// a verifier load ~20 ms, vmlinux.h ~100 ms), so two arches built in parallel barely wait.
/// libbpf's messages never reach stderr: they are captured and end up in `BPFError`.
struct LibbpfSession {
    /// Warnings and infos libbpf printed during this session, one line each, "libbpf: " removed.
    private(set) var messages: [String] = []

    private static let serial = NSLock()
    private static let capture = NSLock()
    nonisolated(unsafe) private static var captured: [String] = []
    nonisolated(unsafe) private static var installed = false

    /// Runs `body` with exclusive use of libbpf; the session hands out what libbpf printed so far.
    static func run<T>(_ body: (inout LibbpfSession) throws -> T) rethrows -> T {
        serial.lock()
        defer { serial.unlock() }
        if !installed {
            _ = libbpf_set_print(libbpfPrint)
            installed = true
        }
        capture.withLock { captured.removeAll(keepingCapacity: true) }
        var session = LibbpfSession()
        return try body(&session)
    }

    /// Takes the messages printed since the last call (or since the session started).
    mutating func collect() -> [String] {
        let lines = LibbpfSession.capture.withLock { () -> [String] in
            defer { LibbpfSession.captured.removeAll(keepingCapacity: true) }
            return LibbpfSession.captured
        }
        messages.append(contentsOf: lines)
        return lines
    }

    fileprivate static func record(_ text: String) {
        var lines: [String] = []
        for raw in text.split(separator: "\n", omittingEmptySubsequences: true) {
            var line = raw.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("libbpf: ") { line.removeFirst("libbpf: ".count) }
            if !line.isEmpty { lines.append(line) }
        }
        guard !lines.isEmpty else { return }
        capture.withLock {
            // A runaway message stream (a huge verifier log) must not grow without bound.
            if captured.count < 4096 { captured.append(contentsOf: lines) }
        }
    }
}

/// libbpf's print callback: formats with vsnprintf into a buffer and records the lines; debug
/// messages (hundreds per object) are dropped before formatting.
private let libbpfPrint: libbpf_print_fn_t = { level, format, arguments in
    guard let format, let arguments, level != LIBBPF_DEBUG else { return 0 }
    let capacity = 8192
    return withUnsafeTemporaryAllocation(of: CChar.self, capacity: capacity) { buffer in
        let written = vsnprintf(buffer.baseAddress, capacity, format, arguments)
        guard written > 0 else { return 0 }
        buffer[capacity - 1] = 0
        LibbpfSession.record(String(cString: buffer.baseAddress!))
        return written
    }
}
