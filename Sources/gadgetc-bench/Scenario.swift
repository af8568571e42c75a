import Foundation

/// One thing to measure: how a run of each side is set up (untimed) and timed.
struct Scenario {
    var key: String
    var title: String
    /// The ratio gadgetc/baseline this scenario should stay at or below.
    var target: Double
    var baseline: (_ run: Int) async throws -> Sample
    var gadgetc: (_ run: Int) async throws -> Sample
}

struct ScenarioResult: Codable, Sendable {
    var key: String
    var title: String
    var target: Double
    var baselineMilliseconds: [Double]
    var gadgetcMilliseconds: [Double]
    var gadgetcReportedMilliseconds: [Double] = []
    /// gadgetc's peak RSS, the largest over this scenario's runs.
    var peakMemoryKiB: Int?

    var baselineMedian: Double { median(baselineMilliseconds) }
    var gadgetcMedian: Double { median(gadgetcMilliseconds) }
    var ratio: Double { gadgetcMedian / baselineMedian }
    var met: Bool { ratio <= target }
}

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    guard !sorted.isEmpty else { return .nan }
    let middle = sorted.count / 2
    return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

/// Runs scenarios with the two sides interleaved (baseline, gadgetc, baseline, …) so that drift in the
/// machine's load hits both alike.
struct ScenarioRunner {
    var runs: Int
    /// A path only our runs' processes carry (in their environment or arguments): the bench's temp folder.
    var marker: String

    func run(_ scenario: Scenario) async throws -> ScenarioResult {
        var result = ScenarioResult(key: scenario.key, title: scenario.title, target: scenario.target,
                                    baselineMilliseconds: [], gadgetcMilliseconds: [], peakMemoryKiB: nil)
        await ClangWatch.waitUntilGone(marker: marker)
        for run in 0..<runs {
            let baseline = try await scenario.baseline(run)
            let gadgetc = try await scenario.gadgetc(run)
            // A background compile gadgetc leaves (a precompiled header) must not overlap the next run.
            await ClangWatch.waitUntilGone(marker: marker)
            result.baselineMilliseconds.append(baseline.milliseconds)
            result.gadgetcMilliseconds.append(gadgetc.milliseconds)
            if let reported = gadgetc.reportedMilliseconds { result.gadgetcReportedMilliseconds.append(reported) }
            if let peak = gadgetc.peakMemoryKiB { result.peakMemoryKiB = max(result.peakMemoryKiB ?? 0, peak) }
            progress("  [\(scenario.key)] run \(run + 1)/\(runs): baseline \(format(baseline.milliseconds)) ms, gadgetc \(format(gadgetc.milliseconds)) ms"
                     + (gadgetc.reportedMilliseconds.map { " (\(format($0)) ms by its own clock)" } ?? ""))
        }
        return result
    }
}

/// Waits for clang processes started by earlier runs, found in /proc (they may have been reparented,
/// so ancestry does not find them; the marker in their environment or command line does, and it keeps
/// other users' builds on this machine from stalling the bench).
enum ClangWatch {
    static func running(marker: String) -> [Int32] {
        let needle = Data(marker.utf8)
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { entry -> Int32? in
            guard let pid = Int32(entry), pid != getpid(),
                  let comm = try? String(contentsOfFile: "/proc/\(entry)/comm", encoding: .utf8), comm.hasPrefix("clang") else { return nil }
            let ours = ["environ", "cmdline"].contains { file in
                (try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(entry)/\(file)")))?.range(of: needle) != nil
            }
            return ours ? pid : nil
        }
    }

    /// Polls every 10 ms, at most `cap`; says so on stderr when it had to wait.
    static func waitUntilGone(marker: String, cap: Duration = .seconds(10)) async {
        let clock = ContinuousClock()
        let start = clock.now
        var left = running(marker: marker)
        while !left.isEmpty, clock.now - start < cap {
            try? await Task.sleep(for: .milliseconds(10))
            left = running(marker: marker)
        }
        let waited = (clock.now - start).milliseconds
        if !left.isEmpty {
            progress("  warning: clang still running after \(format(waited)) ms (pids \(left.map(String.init).joined(separator: " "))); going on")
        } else if waited >= 10 {
            progress("  (waited \(format(waited)) ms for background clang to finish)")
        }
    }
}

/// The bench's scratch space: copies of gadgets to edit, caches and OCI layouts. Never the repo's files.
final class Workspace {
    let root: String
    private var serial = 0
    /// Grows with every edit so each edit changes the file's bytes (a content-addressed cache must notice).
    private var editCounter = 0

    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("gadgetc-bench-\(getpid())-\(UInt32.random(in: 0...UInt32.max))").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    }

    /// A new empty folder under the workspace, unique per call.
    func fresh(_ name: String) throws -> String {
        serial += 1
        let path = "\(root)/\(name)-\(serial)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// A path that does not exist yet (gadgetc creates OCI layouts itself).
    func unused(_ name: String) -> String {
        serial += 1
        return "\(root)/\(name)-\(serial)"
    }

    func remove(_ path: String) {
        try? FileManager.default.removeItem(atPath: path)
    }

    func removeAll() { remove(root) }

    /// A copy of a gadget folder, named like the original so the image name stays the same.
    func copy(gadget: String) throws -> String {
        let destination = "\(try fresh("copy"))/\(URL(fileURLWithPath: gadget).lastPathComponent)"
        try FileManager.default.copyItem(atPath: gadget, toPath: destination)
        return destination
    }

    /// Appends a comment line with a new counter value: an edit that changes bytes but not code. With
    /// `code`, a constant with that value instead, which changes the object.
    func touch(_ file: String, code: Bool = false, comment: String = "/*") throws {
        editCounter += 1
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: file))
        defer { try? handle.close() }
        try handle.seekToEnd()
        let line = code ? "const volatile int gadgetc_bench_edit_\(editCounter) = \(editCounter);\n"
            : comment == "//" ? "// gadgetc-bench edit \(editCounter)\n" : "/* gadgetc-bench edit \(editCounter) */\n"
        try handle.write(contentsOf: Data(line.utf8))
    }

    /// A local header the copy's main source includes: its own if it has one, else `bench_local.h`,
    /// added with an `#include` after the source's last include (so a leading vmlinux.h stays first).
    /// Returns the header's path and whether it was added.
    func localHeader(in folder: String, mainSource: String) throws -> (path: String, added: Bool) {
        let sourcePath = "\(folder)/\(mainSource)"
        let text = try String(contentsOfFile: sourcePath, encoding: .utf8)
        var lines = text.components(separatedBy: "\n")
        for line in lines {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard trimmed.hasPrefix("#include \""), let name = trimmed.split(separator: "\"").dropFirst().first else { continue }
            let header = "\(folder)/\(name)"
            if FileManager.default.fileExists(atPath: header) { return (header, false) }
        }
        let header = "\(folder)/bench_local.h"
        try Data("/* gadgetc-bench: a local header whose edits the bench times */\n".utf8).write(to: URL(fileURLWithPath: header))
        let lastInclude = lines.lastIndex { $0.trimmingCharacters(in: .whitespaces).hasPrefix("#include") } ?? -1
        lines.insert("#include \"bench_local.h\"", at: lastInclude + 1)
        try lines.joined(separator: "\n").write(toFile: sourcePath, atomically: true, encoding: .utf8)
        return (header, true)
    }
}

func progress(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}

func format(_ milliseconds: Double) -> String {
    String(format: milliseconds < 10 ? "%.2f" : "%.0f", milliseconds)
}
