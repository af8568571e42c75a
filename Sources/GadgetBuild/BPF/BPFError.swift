import CLibbpf
import Foundation

/// A libbpf step that failed, printed as one line: what failed, on which file, why (with libbpf's
/// most telling message), and what to do about it. libbpf's full output stays in `libbpfMessages`.
public struct BPFError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Operation: String, Sendable, Codable {
        case link, open, load, generateVmlinuxHeader
    }

    public var operation: Operation
    /// The file the step failed on (an input, the output, the object or the BTF file).
    public var file: String
    /// What went wrong, one line.
    public var reason: String
    /// What to do about it, when there is something to say.
    public var remedy: String?
    /// errno of the failing call, when libbpf reported one.
    public var code: Int32?
    /// Everything libbpf printed (warnings and infos) during the failed step.
    public var libbpfMessages: [String]

    public init(
        _ operation: Operation, file: String, reason: String, remedy: String? = nil,
        code: Int32? = nil, libbpfMessages: [String] = []
    ) {
        self.operation = operation
        self.file = file
        self.reason = reason
        self.remedy = remedy
        self.code = code
        self.libbpfMessages = libbpfMessages
    }

    public var description: String {
        var text = "\(verb) \(file): \(reason)"
        if let line = Self.mostUsefulLine(libbpfMessages), !reason.contains(line) {
            text += " (libbpf: \(line))"
        }
        if let remedy { text += "; \(remedy)" }
        return text.replacingOccurrences(of: "\n", with: " ")
    }

    private var verb: String {
        switch operation {
        case .link: "cannot link BPF objects into"
        case .open: "cannot open BPF object"
        case .load: "cannot load BPF object"
        case .generateVmlinuxHeader: "cannot generate vmlinux.h from"
        }
    }

    /// The line of libbpf's output that says most: the last warning that is not one of libbpf's
    /// generic wrap-ups ("failed to load object …"), which only repeat that something failed.
    static func mostUsefulLine(_ lines: [String]) -> String? {
        let wrapUps = ["failed to load object", "failed to load: -", "failed to open object"]
        let line = lines.last { line in !wrapUps.contains { line.contains($0) } } ?? lines.last
        return line.map { $0.hasSuffix(".") ? String($0.dropLast()) : $0 }
    }

    /// strerror, or libbpf's own text for its error codes (4000 and up, e.g. "Invalid ELF format").
    static func describe(errno code: Int32) -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        if libbpf_strerror(code, &buffer, buffer.count) != 0 { return String(cString: strerror(code)) }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// libbpf's most useful line, else "FALLBACK (errno text)".
    static func reason(_ messages: [String], code: Int32, otherwise fallback: String) -> String {
        mostUsefulLine(messages) ?? "\(fallback) (\(describe(errno: code)))"
    }
}

extension BPFError {
    static func missingFile(_ operation: Operation, _ url: URL, role: String = "file") -> BPFError {
        BPFError(
            operation, file: url.path, reason: "no such \(role)",
            remedy: "check the path (was the compile step run?)", code: ENOENT)
    }

    static func notELF(_ operation: Operation, _ url: URL) -> BPFError {
        BPFError(
            operation, file: url.path, reason: "not an ELF file",
            remedy: "pass an object compiled with `clang -target bpf -g -O2 -c`")
    }

    static func permission(_ operation: Operation, _ url: URL, code: Int32, messages: [String]) -> BPFError {
        BPFError(
            operation, file: url.path, reason: "the kernel refused BPF: " + KernelBPFSupport.explain(code),
            code: code, libbpfMessages: messages)
    }

    /// Fails like libbpf would, but early and with a clear reason, when `url` is missing, not a
    /// regular file, or does not start with the ELF magic.
    static func checkELF(_ url: URL, for operation: Operation) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw missingFile(operation, url)
        }
        if isDirectory.boolValue {
            throw BPFError(operation, file: url.path, reason: "is a directory, not an object file")
        }
        guard let handle = FileHandle(forReadingAtPath: url.path) else {
            throw BPFError(
                operation, file: url.path, reason: "not readable (\(describe(errno: EACCES)))", code: EACCES)
        }
        defer { try? handle.close() }
        let magic = (try? handle.read(upToCount: 4)) ?? Data()
        guard magic == Data([0x7F, 0x45, 0x4C, 0x46]) else { throw notELF(operation, url) }
    }
}
