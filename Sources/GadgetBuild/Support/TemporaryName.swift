import Foundation

/// The name gadgetc gives a file while it writes it: `.<final name>.tmp-<pid>-<random>` (see
/// `AtomicFile.temporarySibling`). Parsing it back tells who wrote it, so that cleanup removes only
/// what a dead gadgetc process left.
public struct TemporaryName: Equatable, Sendable {
    /// The name the file gets once it is complete.
    public var target: String
    public var pid: pid_t

    public init(target: String, pid: pid_t) {
        self.target = target
        self.pid = pid
    }

    /// Parses a temporary's name; nil for any other name.
    public init?(parsing name: String) {
        guard name.hasPrefix("."), let marker = name.range(of: ".tmp-", options: .backwards),
              marker.lowerBound > name.startIndex else { return nil }
        let target = String(name[name.index(after: name.startIndex)..<marker.lowerBound])
        let fields = name[marker.upperBound...].split(separator: "-", omittingEmptySubsequences: false)
        guard !target.isEmpty, fields.count == 2,
              fields.allSatisfy({ !$0.isEmpty && $0.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 } }),
              let pid = pid_t(fields[0]), pid > 0, UInt32(fields[1]) != nil else { return nil }
        self.init(target: target, pid: pid)
    }
}
