import Foundation
import GadgetBuild

/// The live line at the bottom of a terminal while a build runs: the steps running now and how long
/// each has run ("building: [amd64] compile program.bpf.c 1.4s · [arm64] compile program.bpf.c 1.2s"),
/// redrawn ten times a second. Every other line on standard error goes through `print`, which clears
/// the status, writes the line and draws the status again below it, so finished steps scroll by as
/// plain lines and the status disappears when nothing runs. Off when standard error is not a
/// terminal, with TERM=dumb, and under --json (the caller never starts a step then).
final class StatusLine: @unchecked Sendable {
    static let shared = StatusLine(enabled: Terminal.isTerminal && ProcessInfo.processInfo.environment["TERM"] != "dumb")

    private struct Running {
        var label: String
        var started: ContinuousClock.Instant
    }

    private let enabled: Bool
    private let lock = NSLock()
    private var running: [Running] = []
    /// A line of its own below the steps (the builder image's pull progress).
    private var extra: String?
    private var drawn = false
    private var timer: DispatchSourceTimer?

    init(enabled: Bool) { self.enabled = enabled }

    /// A step began: shown until `finish` with the same label (one step never runs twice at once).
    func start(_ label: String) {
        guard enabled else { return }
        lock.withLock {
            running.append(Running(label: label, started: .now))
            startTimerLocked()
            redrawLocked()
        }
    }

    func finish(_ label: String) {
        guard enabled else { return }
        lock.withLock {
            if let index = running.firstIndex(where: { $0.label == label }) { running.remove(at: index) }
            redrawLocked()
        }
    }

    /// Replaces the status's own line of progress (nil removes it).
    func setExtra(_ text: String?) {
        guard enabled else { return }
        lock.withLock {
            extra = text
            if text != nil { startTimerLocked() }
            redrawLocked()
        }
    }

    /// Writes `text` (whole lines) above the status.
    func print(_ text: String) {
        lock.withLock {
            clearLocked()
            Self.write(text)
            redrawLocked()
        }
    }

    private func startTimerLocked() {
        guard timer == nil else { return }
        let timer = DispatchSource.makeTimerSource(queue: .global(qos: .utility))
        timer.schedule(deadline: .now() + .milliseconds(100), repeating: .milliseconds(100))
        timer.setEventHandler { [weak self] in self?.lock.withLock { self?.redrawLocked() } }
        timer.resume()
        self.timer = timer
    }

    private func clearLocked() {
        guard drawn else { return }
        Self.write("\r\u{1B}[K")
        drawn = false
    }

    private func redrawLocked() {
        clearLocked()
        guard !running.isEmpty || extra != nil else {
            // Idle (watch waits between rounds): no timer.
            timer?.cancel()
            timer = nil
            return
        }
        let now = ContinuousClock.now
        let steps = running.map { "\($0.label) \(Self.seconds(now - $0.started))" }
        var text = steps.isEmpty ? "" : "building: " + steps.joined(separator: " · ")
        if let extra { text += (text.isEmpty ? "" : " · ") + extra }
        // One screen row: a status that wraps could not be cleared with a carriage return.
        let width = Self.columns()
        if text.count > width - 1 { text = String(text.prefix(max(width - 2, 1))) + "…" }
        Self.write(text)
        drawn = true
    }

    static func seconds(_ duration: Duration) -> String {
        String(format: "%.1fs", Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18)
    }

    /// The terminal's width (80 when it does not say).
    static func columns() -> Int {
        var size = winsize()
        guard ioctl(STDERR_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 else { return 80 }
        return Int(size.ws_col)
    }

    private static func write(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }
}
