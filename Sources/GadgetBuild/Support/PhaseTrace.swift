import Foundation

/// `GADGETC_TRACE=1` prints where a build's time goes: one stderr line per phase, in milliseconds since
/// the first mark. For measuring gadgetc's own overhead around the compiles.
public enum PhaseTrace {
    static let enabled = ProcessInfo.processInfo.environment["GADGETC_TRACE"].map { !$0.isEmpty && $0 != "0" } ?? false
    static let start = ContinuousClock.now

    public static func mark(_ phase: @autoclosure () -> String) {
        guard enabled else { return }
        let elapsed = ContinuousClock.now - start
        let milliseconds = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        FileHandle.standardError.write(Data(String(format: "[trace %7.2f ms] %@\n", milliseconds, phase()).utf8))
    }
}
