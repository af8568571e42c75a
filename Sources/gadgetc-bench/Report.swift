import Foundation

struct Machine: Codable, Sendable {
    var cores: Int
    var kernel: String
    /// /proc/loadavg's 1-minute figure before and after: others' work on the machine skews both sides.
    var loadBefore: String
    var loadAfter: String
    var clang: String
    var clangPath: String
    var strip: String
    var gadgetc: String
}

/// The outcome of one bench invocation, as a table or as JSON.
struct Report: Sendable {
    /// gadgetc's own peak RSS must stay below this (10^6 bytes).
    static let peakMemoryTargetMB = 60.0

    var machine: Machine
    var runs: Int
    var includes: [String]
    var notes: [String]
    var scenarios: [ScenarioResult]

    var peakMemoryKiB: Int? { scenarios.compactMap(\.peakMemoryKiB).max() }
    static func megabytes(_ kib: Int) -> Double { Double(kib) * 1024 / 1e6 }
    var peakMemoryMet: Bool? { peakMemoryKiB.map { Self.megabytes($0) < Self.peakMemoryTargetMB } }

    func text() -> String {
        let header = ["scenario", "baseline median ms", "gadgetc median ms", "ratio", "target", "", "gadgetc peak RSS"]
        let rows = scenarios.map { s in
            [s.title, format(s.baselineMedian), format(s.gadgetcMedian), String(format: "%.3f", s.ratio),
             String(format: "≤%.2f", s.target), s.met ? "met" : "MISSED",
             s.peakMemoryKiB.map { String(format: "%.1f MB", Self.megabytes($0)) } ?? "?"]
        }
        let widths = header.indices.map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { index, cell in
                // Text columns flush left, numbers flush right.
                let pad = String(repeating: " ", count: widths[index] - cell.count)
                return index == 0 || index == 5 ? cell + pad : pad + cell
            }.joined(separator: " | ")
        }
        var lines = [line(header), widths.map { String(repeating: "-", count: $0) }.joined(separator: "-|-")]
        lines += rows.map(line)
        lines.append("")
        if let peak = peakMemoryKiB {
            lines.append(String(format: "gadgetc peak RSS (max over all runs, clang excluded): %.1f MB (%d KiB), target < %.0f MB: ",
                                Self.megabytes(peak), peak, Self.peakMemoryTargetMB) + (peakMemoryMet == true ? "met" : "MISSED"))
        }
        lines.append("machine: \(machine.cores) cores, kernel \(machine.kernel), load \(machine.loadBefore) before / \(machine.loadAfter) after; \(machine.clang) at \(machine.clangPath)")
        lines.append("baseline strip: \(machine.strip)")
        lines.append("gadgetc: \(machine.gadgetc), -I \(includes.joined(separator: " -I ")); \(runs) runs per side, interleaved, medians")
        lines += notes.map { "note: \($0)" }
        return lines.joined(separator: "\n")
    }

    func json() throws -> String {
        struct ScenarioJSON: Encodable {
            var key, title: String
            var target, baselineMedianMilliseconds, gadgetcMedianMilliseconds, ratio: Double
            var met: Bool
            var baselineMilliseconds, gadgetcMilliseconds, gadgetcReportedMilliseconds: [Double]
            var peakMemoryKiB: Int?
        }
        struct Document: Encodable {
            var machine: Machine
            var runs: Int
            var includes: [String]
            var notes: [String]
            var scenarios: [ScenarioJSON]
            var peakMemoryKiB: Int?
            var peakMemoryTargetMB: Double
            var peakMemoryMet: Bool?
        }
        let document = Document(
            machine: machine, runs: runs, includes: includes, notes: notes,
            scenarios: scenarios.map {
                ScenarioJSON(key: $0.key, title: $0.title, target: $0.target, baselineMedianMilliseconds: $0.baselineMedian,
                             gadgetcMedianMilliseconds: $0.gadgetcMedian, ratio: $0.ratio, met: $0.met,
                             baselineMilliseconds: $0.baselineMilliseconds, gadgetcMilliseconds: $0.gadgetcMilliseconds,
                             gadgetcReportedMilliseconds: $0.gadgetcReportedMilliseconds,
                             peakMemoryKiB: $0.peakMemoryKiB)
            },
            peakMemoryKiB: peakMemoryKiB, peakMemoryTargetMB: Self.peakMemoryTargetMB, peakMemoryMet: peakMemoryMet)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(document), as: UTF8.self)
    }
}
