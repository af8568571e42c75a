import Foundation
import GadgetBuild

/// One timed run of one side.
struct Sample: Sendable {
    var milliseconds: Double
    /// gadgetc's own peak RSS from `--json` (`peakMemoryKiB`); nil for the baseline.
    var peakMemoryKiB: Int? = nil
    /// gadgetc's own `elapsedMilliseconds` (the longest gadget's): the wall time minus process start and exit.
    var reportedMilliseconds: Double? = nil
}


/// The gadgetc binary under test, always run with the same `-I` folders.
struct Gadgetc: Sendable {
    var path: String
    var includes: [String]
    let runner = ProcessRunner()

    private var includeFlags: [String] { includes.flatMap { ["-I", $0] } }

    /// ProcessRunner takes no environment, and the child inherits ours: the cache folder is set here,
    /// before each spawn (runs are sequential, so nothing races on the variable).
    private func useCache(_ directory: String) {
        setenv("GADGETC_CACHE_DIR", directory, 1)
    }

    struct Doctor {
        var clangPath: String
        var clangVersion: String
        /// vmlinux.h files the host lacks: the samples then compile without one for that arch, on both sides.
        var missing: [String]
    }

    /// `gadgetc doctor --json`: the clang gadgetc picks, which the baseline must use too.
    func doctor(cache: String) async throws -> Doctor {
        useCache(cache)
        // doctor exits non-zero when nothing can be built; its JSON still says why, so read it either way.
        let result = try await runner.run([path, "doctor", "--json"] + includeFlags, workingDirectory: nil)
        guard let report = try? JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [String: Any],
              let chosen = report["chosenCompiler"] as? [String: Any], let clang = chosen["path"] as? String else {
            throw BenchError("gadgetc doctor --json names no chosen compiler:\n\(result.standardError)\(result.standardOutput)")
        }
        let missing = (report["capabilities"] as? [[String: Any]] ?? [])
            .filter { $0["found"] as? Bool == false && ($0["name"] as? String)?.hasPrefix("vmlinux.h") == true }
            .compactMap { capability in (capability["name"] as? String).map { "\($0)" + ((capability["detail"] as? String).map { " (\($0))" } ?? "") } }
        return Doctor(clangPath: clang, clangVersion: chosen["versionLine"] as? String ?? chosen["version"] as? String ?? "?", missing: missing)
    }

    /// `gadgetc build --dry-run --json DIR`: the plan, whose compile lines give the baseline its include setup.
    func plan(_ folder: String, cache: String) async throws -> [String: Any] {
        useCache(cache)
        let (_, result) = try await timedRun(runner, [path, "build", "--dry-run", "--json"] + includeFlags + [folder])
        guard let plan = try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [String: Any] else {
            throw BenchError("gadgetc build --dry-run --json \(folder) printed no plan")
        }
        return plan
    }

    /// One `gadgetc build` of all `folders` in one invocation, into a standalone OCI layout (no ig store).
    func build(_ folders: [String], cache: String, layout: String, extra: [String] = []) async throws -> Sample {
        useCache(cache)
        let argv = [path, "build", "--json", "--oci-layout", layout] + includeFlags + extra + folders
        let (elapsed, result) = try await timedRun(runner, argv)
        let json = try? JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8))
        return Sample(milliseconds: elapsed.milliseconds, peakMemoryKiB: json.flatMap { Self.maxValue(of: "peakMemoryKiB", in: $0) }.map { Int($0) },
                      reportedMilliseconds: json.flatMap { Self.maxValue(of: "elapsedMilliseconds", in: $0) })
    }

    /// The largest number under `key` anywhere in a JSON document: one gadget prints an object, several an array.
    private static func maxValue(of key: String, in json: Any) -> Double? {
        switch json {
        case let object as [String: Any]:
            let own = (object[key] as? NSNumber)?.doubleValue
            return (object.values.compactMap { maxValue(of: key, in: $0) } + [own].compactMap { $0 }).max()
        case let array as [Any]:
            return array.compactMap { maxValue(of: key, in: $0) }.max()
        default:
            return nil
        }
    }
}
