import Foundation
import GadgetBuild

/// Writing to the user's terminal: errors as one line, progress on standard error.
enum Terminal {
    static func writeError(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }

    /// The one line an error is shown as (each of gadgetc's error types describes itself in one line).
    static func line(_ error: Error) -> String {
        String(describing: error).split(separator: "\n").first.map(String.init) ?? "\(error)"
    }

    static func error(_ error: Error, prefix: String = "") {
        writeError("error: \(prefix)\(line(error))\n")
    }

    /// Quotes an argument for display the way a POSIX shell would read it back.
    static func quote(_ argument: String) -> String {
        let safe = argument.allSatisfy { $0.isLetter || $0.isNumber || "-_./=:,+@%".contains($0) }
        return safe && !argument.isEmpty ? argument : "'" + argument.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}

/// Progress lines on standard error: one per finished job with its time. Compiler diagnostics pass
/// through verbatim even when quiet, since they are the user's errors.
struct TerminalObserver: BuildObserver {
    let quiet: Bool
    /// "gadget: " when several gadgets build at once.
    var prefix = ""

    func jobStarted(_ job: Job) {}

    func jobFinished(_ job: Job, milliseconds: Double) {
        guard !quiet else { return }
        Terminal.writeError("\(prefix)\(job.summary) (\(String(format: "%.0f", milliseconds)) ms)\n")
    }

    func jobCached(_ job: Job) {
        guard !quiet else { return }
        Terminal.writeError("\(prefix)\(job.summary) (cached)\n")
    }

    func diagnostics(_ job: Job, text: String) {
        Terminal.writeError(text.hasSuffix("\n") ? text : text + "\n")
    }

    func note(_ text: String) {
        guard !quiet else { return }
        Terminal.writeError("\(prefix)\(text)\n")
    }
}
