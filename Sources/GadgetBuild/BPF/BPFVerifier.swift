import CLibbpf
import Foundation

/// What the kernel's verifier said about each program of an object.
public struct VerifierReport: Codable, Equatable, Sendable {
    /// Where in the C source the verifier stopped: the last `; <source text> @ <file>:<line>` line of its
    /// log, which the kernel writes from the object's BTF line info.
    public struct SourceLocation: Codable, Equatable, Sendable {
        public var file: String
        public var line: Int
        /// The statement as the line info recorded it.
        public var text: String?
    }

    public enum Verdict: Codable, Equatable, Sendable {
        /// Loaded; `processedInstructions` is the verifier's "processed N insns" (its cost measure),
        /// `totalStates` / `peakStates` the states it explored and kept at most.
        case accepted(processedInstructions: Int?, totalStates: Int? = nil, peakStates: Int? = nil)
        /// Refused; `reason` is the verifier's last meaningful line (or libbpf's, when the kernel
        /// said nothing), `logTail` the end of the verifier log, `location` the source line it stopped at.
        case rejected(reason: String, logTail: [String], location: SourceLocation? = nil)
        /// Not judged: a `SEC("?…")` program (libbpf does not load those by default), or every
        /// program when the object itself failed to load (see `objectFailure`).
        case notLoaded(reason: String)

        public var isAccepted: Bool {
            if case .accepted = self { return true }
            return false
        }
    }

    /// One verdict per program, by program name.
    public var programs: [String: Verdict]
    /// Set when the object failed to load although no single program was refused (a map or the
    /// object's BTF was), with libbpf's reason.
    public var objectFailure: String?

    public var allAccepted: Bool { objectFailure == nil && programs.values.allSatisfy { !$0.isRejected } }

    /// Names of the refused programs, sorted.
    public var rejectedPrograms: [String] { programs.filter { $0.value.isRejected }.map(\.key).sorted() }
}

extension VerifierReport.Verdict {
    var isRejected: Bool {
        if case .rejected = self { return true }
        return false
    }
}

/// Loads objects into the running kernel to run its verifier, then closes them: nothing stays
/// loaded. Needs root (or CAP_BPF + CAP_PERFMON); the kernel's own BTF is used for CO-RE.
public enum BPFVerifier {
    /// Loads the whole object once, asking only for the verifier's statistics. When that fails,
    /// each program is loaded on its own to say which ones the verifier refuses and why.
    public static func load(_ object: URL) throws -> VerifierReport {
        try BPFError.checkELF(object, for: .load)
        return try LibbpfSession.run { session in
            let whole = try attempt(object, only: nil, logLevel: statsLogLevel, session: &session)
            var report = VerifierReport(programs: [:], objectFailure: nil)
            for name in whole.skipped {
                report.programs[name] = .notLoaded(reason: "autoload is off (SEC(\"?…\"))")
            }
            if whole.code == 0 {
                for (name, log) in whole.logs { report.programs[name] = accepted(log) }
                return report
            }
            if whole.code == -EPERM {
                throw BPFError.permission(.load, object, code: EPERM, messages: whole.messages)
            }
            var kernelSpoke = false
            for name in whole.logs.keys.sorted() {
                let alone = try attempt(object, only: name, logLevel: statsLogLevel, session: &session)
                if alone.code == 0 {
                    report.programs[name] = accepted(alone.logs[name] ?? "")
                    continue
                }
                // Again with the full log, which holds the reason (the stats-only log does not).
                let verbose = try attempt(object, only: name, logLevel: 1, session: &session)
                let log = verbose.logs[name] ?? ""
                kernelSpoke = kernelSpoke || !log.isEmpty
                report.programs[name] = rejection(log: log, messages: verbose.messages, code: verbose.code)
            }
            let failed = report.rejectedPrograms
            if failed.isEmpty || (!kernelSpoke && failed.count == whole.logs.count && failed.count > 1) {
                // Nothing to blame on one program (every one fails before the verifier runs, or
                // each loads alone): a map, the object's BTF or a relocation is the problem.
                let reason = BPFError.reason(whole.messages, code: -whole.code, otherwise: "load failed")
                report.objectFailure = reason
                for name in failed { report.programs[name] = .notLoaded(reason: "the object failed to load: \(reason)") }
            }
            return report
        }
    }

    /// BPF_LOG_STATS: the kernel only writes its closing statistics ("processed N insns …").
    private static let statsLogLevel: UInt32 = 4
    /// Per-program log buffer. Kernels ≥ 6.4 keep the tail of a longer log, which is the part
    /// that says why a program was refused.
    private static let logCapacity = 1 << 20

    private struct Attempt {
        var code: Int32
        /// Kernel log of each program that was loaded (autoload on and selected).
        var logs: [String: String]
        /// Programs with autoload off in the object itself.
        var skipped: [String]
        var messages: [String]
    }

    private static func attempt(
        _ url: URL, only selected: String?, logLevel: UInt32, session: inout LibbpfSession
    ) throws -> Attempt {
        let handle = try BPFObjectHandle.open(url, for: .load, session: &session)
        defer { handle.close() }
        var buffers: [(name: String, buffer: UnsafeMutablePointer<CChar>)] = []
        defer { for entry in buffers { entry.buffer.deallocate() } }
        var skipped: [String] = []
        for program in handle.programs {
            let name = String(cString: bpf_program__name(program))
            guard bpf_program__autoload(program) else {
                skipped.append(name)
                continue
            }
            if let selected, selected != name {
                bpf_program__set_autoload(program, false)
                continue
            }
            let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: logCapacity)
            buffer[0] = 0
            buffers.append((name, buffer))
            bpf_program__set_log_buf(program, buffer, logCapacity)
            bpf_program__set_log_level(program, logLevel)
        }
        if handle.programs.isEmpty {
            throw BPFError(
                .load, file: url.path, reason: "contains no BPF programs to load",
                libbpfMessages: session.collect())
        }
        let code = bpf_object__load(handle.object)
        var logs: [String: String] = [:]
        for entry in buffers {
            entry.buffer[logCapacity - 1] = 0
            logs[entry.name] = String(cString: entry.buffer)
        }
        return Attempt(code: code, logs: logs, skipped: skipped, messages: session.collect())
    }

    /// The statistics line: "processed 23 insns (limit 1000000) max_states_per_insn 0 total_states 1 peak_states 1 mark_read 1".
    static func accepted(_ log: String) -> VerifierReport.Verdict {
        .accepted(processedInstructions: number(after: "processed ", in: log), totalStates: number(after: "total_states ", in: log),
                  peakStates: number(after: "peak_states ", in: log))
    }

    private static func number(after label: String, in log: String) -> Int? {
        guard let range = log.range(of: label, options: .backwards) else { return nil }
        return Int(log[range.upperBound...].prefix { $0.isNumber })
    }

    /// The last source line the log names (`; x = *p; @ program.bpf.c:23`).
    static func sourceLocation(_ lines: [String]) -> VerifierReport.SourceLocation? {
        guard let source = lines.last(where: { $0.hasPrefix(";") && $0.contains(" @ ") }),
              let at = source.range(of: " @ ", options: .backwards) else { return nil }
        let place = source[at.upperBound...]
        guard let colon = place.lastIndex(of: ":"), let line = Int(place[place.index(after: colon)...]) else { return nil }
        let text = source[source.index(after: source.startIndex)..<at.lowerBound].trimmingCharacters(in: .whitespaces)
        return VerifierReport.SourceLocation(file: String(place[..<colon]), line: line, text: text.isEmpty ? nil : text)
    }

    private static func rejection(log: String, messages: [String], code: Int32) -> VerifierReport.Verdict {
        let lines = log.split(separator: "\n").map { String($0) }.filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
        let tail = Array(lines.suffix(20))
        return .rejected(
            reason: verdictReason(lines) ?? BPFError.reason(messages, code: -code, otherwise: "load failed"),
            logTail: tail, location: sourceLocation(lines))
    }

    /// The verifier's complaint: the lines after the last instruction or source line ("8: (79) r6 =
    /// …", "; x = y @ file.c:12"), without the closing statistics, joined with "; ", plus where in
    /// the source it happened when the log has line info.
    static func verdictReason(_ lines: [String]) -> String? {
        let lastStep = lines.lastIndex { isInstruction($0) || $0.hasPrefix(";") }
        let complaint = lines[(lastStep.map { $0 + 1 } ?? 0)...].filter { !isVerifierEpilogue($0) }
        guard !complaint.isEmpty else { return lines.last { !isVerifierEpilogue($0) } }
        var reason = complaint.joined(separator: "; ")
        if let source = lines.last(where: { $0.hasPrefix(";") }), let at = source.range(of: " @ ", options: .backwards) {
            reason += " (at \(source[at.upperBound...]))"
        }
        return reason
    }

    /// "12: (85) call …" or "0: R1=ctx() R10=fp0": a step of the verifier's walk, not a verdict.
    private static func isInstruction(_ line: String) -> Bool {
        let digits = line.prefix { $0.isNumber }
        return !digits.isEmpty && line.dropFirst(digits.count).hasPrefix(":")
    }

    /// The lines the verifier prints after its verdict: statistics, not the reason.
    private static func isVerifierEpilogue(_ line: String) -> Bool {
        line.hasPrefix("processed ") || line.hasPrefix("verification time") || line.hasPrefix("stack depth")
            || line.hasPrefix("-- END") || line.hasPrefix("-- BEGIN")
    }
}
