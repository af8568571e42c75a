import ArgumentParser
import Foundation
import GadgetBuild
import Logging

/// Writing to the user's terminal: errors as one line, progress on standard error.
enum Terminal {
    static let isTerminal = isatty(STDERR_FILENO) == 1

    /// Writes to standard error, above the live status line when there is one.
    static func writeError(_ text: String) {
        StatusLine.shared.print(usesColour ? coloured(text) : text)
    }

    /// Colour for `error:` and `warning:` on a terminal only, never with NO_COLOR (no-color.org) or TERM=dumb.
    static let usesColour: Bool = {
        let environment = ProcessInfo.processInfo.environment
        return isTerminal && (environment["NO_COLOR"] ?? "").isEmpty && environment["TERM"] != "dumb"
    }()

    /// Each line's first `error:` / `warning:` (gadgetc's own, or after clang's `file:line:col: `) in bold
    /// red / magenta, as clang colours them.
    static func coloured(_ text: String) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            for (word, colour) in [("error:", "31"), ("fatal error:", "31"), ("warning:", "35")] {
                if line.hasPrefix(word) { return "\u{1B}[1;\(colour)m\(word)\u{1B}[0m" + line.dropFirst(word.count) }
                if let range = line.range(of: ": " + word) {
                    let at = line.index(range.lowerBound, offsetBy: 2)
                    return line[..<at] + "\u{1B}[1;\(colour)m\(word)\u{1B}[0m" + line[range.upperBound...]
                }
            }
            return String(line)
        }.joined(separator: "\n")
    }

    /// The one line an error is shown as (each of gadgetc's error types describes itself in one line;
    /// a newline or other control character from a path or tag is shown escaped, never cut or obeyed).
    static func line(_ error: Error) -> String {
        // Foundation's errors describe themselves as a dump of their user info: say what and where instead.
        if let text = FoundationErrorText.describe(error) { return escape(text) }
        let text = String(describing: error)
        return escape(String(text[..<(text.lastIndex { !$0.isWhitespace }.map(text.index(after:)) ?? text.startIndex)]))
    }

    static func error(_ error: Error, prefix: String = "") {
        writeError("error: \(escape(prefix))\(line(error))\n")
    }

    /// Control characters as escapes (`\n`, `\t`, `\u{1B}`), so that text from the user stays on one line.
    static func escape(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isControl) else { return text }
        var escaped = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": escaped += "\\n"
            case "\r": escaped += "\\r"
            case "\t": escaped += "\\t"
            case _ where isControl(scalar): escaped += "\\u{\(String(scalar.value, radix: 16, uppercase: true))}"
            default: escaped.unicodeScalars.append(scalar)
            }
        }
        return escaped
    }

    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) || scalar == "\u{2028}" || scalar == "\u{2029}"
    }

    /// Quotes an argument so that a POSIX shell reads it back as exactly this one word: anything but
    /// plain ASCII letters, digits and `-_./=:,+@%` goes in single quotes, inside which `$`, backticks,
    /// `\` and newlines are literal; a `'` is written as `'\''`.
    static func quote(_ argument: String) -> String {
        let safe = argument.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "-_./=:,+@%".unicodeScalars.contains($0)) }
        return safe && !argument.isEmpty ? argument : "'" + argument.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    /// `quote` for a command's first word, where `NAME=value` would be read as an assignment.
    static func quoteCommand(_ argument: String) -> String {
        argument.contains("=") ? "'" + argument.replacingOccurrences(of: "'", with: "'\\''") + "'" : quote(argument)
    }
}

/// Progress on standard error: one line per finished job with its time, and on a terminal the live
/// status line of the jobs running now. Compiler diagnostics pass through verbatim even when quiet,
/// since they are the user's errors. Command lines go to the log (`-v`).
struct TerminalObserver: BuildObserver {
    let quiet: Bool
    /// "gadget: " when several gadgets build at once.
    var prefix = ""
    /// The live status line even when quiet (watch: no step lines, but what runs now is shown).
    var showsStatus = false
    /// Compiler text already shown another way (watch printed libclang's diagnostics first).
    var alreadyShown: (@Sendable (String) -> Bool)?

    private var status: Bool { !quiet || showsStatus }

    func jobStarted(_ job: Job) {
        if status { StatusLine.shared.start(prefix + job.summary) }
        guard !quiet, !job.argv.isEmpty else { return }
        let directory = job.workingDirectory.map { "(cd \(Terminal.quote($0)) && " } ?? "("
        BuildLog.logger.debug("\(prefix)+ \(directory)\(PlanText.assignments(job.environment))\(PlanText.command(job.argv)))")
    }

    func jobFinished(_ job: Job, milliseconds: Double) {
        if status { StatusLine.shared.finish(prefix + job.summary) }
        guard !quiet else { return }
        Terminal.writeError("\(prefix)\(job.summary) (\(String(format: "%.0f", milliseconds)) ms)\n")
    }

    func jobCached(_ job: Job) {
        guard !quiet else { return }
        Terminal.writeError("\(prefix)\(job.summary) (cached)\n")
    }

    func diagnostics(_ job: Job, text: String) {
        if alreadyShown?(text) == true { return }
        Terminal.writeError(text.hasSuffix("\n") ? text : text + "\n")
    }

    func note(_ text: String) {
        guard !quiet else { return }
        // Most notes already start with the gadget's name.
        Terminal.writeError("\(text.hasPrefix(prefix) ? "" : prefix)\(text)\n")
    }

    /// Pull progress: byte counts in the status line on a terminal, one line per step otherwise.
    func pullProgress(_ progress: PullProgress) {
        let layer = progress.id.map { "\($0): " } ?? ""
        if let current = progress.current, let total = progress.total, total > 0 {
            if status { StatusLine.shared.setExtra("\(prefix)pulling \(layer)\(progress.status) \(current >> 20)/\(total >> 20) MiB") }
        } else {
            if status { StatusLine.shared.setExtra(nil) }
            guard !quiet else { return }
            Terminal.writeError("\(prefix)pull: \(layer)\(progress.status)\n")
        }
    }
}

/// swift-log's lines on standard error (above the status line): `-v` shows debug, `-vv` trace.
struct TerminalLogHandler: LogHandler {
    var logLevel: Logger.Level
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let text = "\(event.message)"
        Terminal.writeError(event.level <= .debug ? text + "\n" : "\(event.level): \(text)\n")
    }

    /// The logger for `-v` given `count` times (none: notices and above only).
    static func logger(verbosity count: Int) -> Logger {
        let level: Logger.Level = count >= 2 ? .trace : count == 1 ? .debug : .notice
        return Logger(label: "gadgetc") { _ in TerminalLogHandler(logLevel: level) }
    }
}

/// Runs work that Ctrl-C or SIGTERM cancels (so that builder containers are removed), then exits
/// with the shell's status for the signal.
enum Interruption {
    static func run<T: Sendable>(_ body: @escaping @Sendable () async -> T) async throws -> T {
        let task = Task { await body() }
        let received = ManagedSignal()
        var sources: [DispatchSourceSignal] = []
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                received.set(number)
                task.cancel()
            }
            source.resume()
            sources.append(source)
        }
        let value = await task.value
        sources.forEach { $0.cancel() }
        if let number = received.value {
            Terminal.writeError("interrupted; builder containers removed\n")
            throw ExitCode(128 + number)
        }
        return value
    }
}

final class ManagedSignal: @unchecked Sendable {
    private let lock = NSLock()
    private var number: Int32?
    func set(_ value: Int32) { lock.withLock { number = value } }
    var value: Int32? { lock.withLock { number } }
}
