import ArgumentParser
import Foundation
import GadgetBuild

struct Cache: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cache",
        abstract: "Inspect or trim gadgetc's build cache ($XDG_CACHE_HOME/gadgetc).",
        subcommands: [Stats.self, Prune.self, PushLocal.self]
    )

    struct Stats: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "stats", abstract: "Show the cache's size by part.")
        @OptionGroup(title: "Output") var output: OutputOptions

        func run() throws {
            let location = CacheLocation(environment: ProcessInfo.processInfo.environment)
            var statistics = CacheMaintenance(location: location).statistics()
            statistics.remote = RemoteCacheStatistics.load(location)
            if output.json {
                print(try JSONOutput.encode(statistics))
                return
            }
            print("cache: \(statistics.root)")
            for part in statistics.parts {
                print("  \(part.name.padding(toLength: 8, withPad: " ", startingAt: 0)) \(String(part.files).leftPadded(7)) files  \(ByteText.format(part.bytes).leftPadded(10))")
            }
            print("  total    \(ByteText.format(statistics.totalBytes)) of \(ByteText.format(statistics.maxBytes)) (pruned to that bound once a day)")
            if let remote = statistics.remote {
                let asked = remote.hits + remote.misses
                print("remote cache (every build with --remote-cache so far):")
                print("  \(remote.hits) hits, \(remote.misses) misses\(asked > 0 ? String(format: " (%.0f %% hits)", 100 * Double(remote.hits) / Double(asked)) : ""), \(remote.uploads) uploads (\(remote.mounts) blobs mounted, not sent)")
                print("  \(ByteText.format(Int64(remote.bytesDown))) down, \(ByteText.format(Int64(remote.bytesUp))) up")
                print(String(format: "  compile time saved %.1f s (as measured where the objects were made); lookups took %.1f s", remote.millisecondsSaved / 1000, remote.lookupMilliseconds / 1000))
            }
        }
    }

    struct PushLocal: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "push-local",
            abstract: "Seed the team's cache (a registry) with every compile this machine's cache holds and it lacks.")
        @Option(help: ArgumentHelp("The team's cache, HOST[:PORT]/REPOSITORY (default GADGETC_REMOTE_CACHE).", valueName: "ref"))
        var remoteCache: String?
        @Option(help: ArgumentHelp("A repository of the same registry to mount blobs from instead of sending them (repeatable; env GADGETC_REMOTE_CACHE_MOUNT_FROM).", valueName: "repo"))
        var mountFrom: [String] = []
        @OptionGroup(title: "Output") var output: OutputOptions

        func run() async throws {
            let environment = ProcessInfo.processInfo.environment
            guard let reference = remoteCache ?? environment["GADGETC_REMOTE_CACHE"].flatMap({ $0.isEmpty ? nil : $0 }) else {
                throw ValidationError("name the team's cache: --remote-cache HOST[:PORT]/REPOSITORY, or set GADGETC_REMOTE_CACHE")
            }
            let remote: RemoteCache
            do {
                var settings = try RemoteCacheSettings(parsing: reference, upload: true)
                try settings.mount(from: mountFrom, environment: environment)
                remote = RemoteCache(settings: settings)
            } catch {
                throw ValidationError("\(error)")
            }
            remote.onWarning = { Terminal.writeError($0 + "\n") }
            let quiet = output.json
            let summary = await RemoteCachePush(cache: CacheLocation(environment: environment), remote: remote)
                .run { if !quiet { Terminal.writeError($0 + "\n") } }
            if output.json {
                print(try JSONOutput.encode(summary))
            } else {
                print("pushed \(summary.pushed) compile\(summary.pushed == 1 ? "" : "s") (\(ByteText.format(Int64(summary.bytesUp))) sent, \(summary.mounted) blobs mounted) to \(reference); "
                      + "\(summary.present) already there, \(summary.withoutKey) without a portable key, \(summary.failed) failed")
            }
            if let problem = remote.problem {
                Terminal.writeError("error: \(problem)\n")
                throw ExitCode.failure
            }
        }
    }

    struct Prune: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "prune", abstract: "Remove least recently used entries until the cache fits a size.")
        @Option(help: ArgumentHelp("Size to trim to, e.g. 500M or 2G (default 2G); 0 empties the cache.", valueName: "size"))
        var maxSize: String = "2G"
        @OptionGroup(title: "Output") var output: OutputOptions

        func run() throws {
            guard let bytes = CacheMaintenance.parseSize(maxSize) else {
                Terminal.writeError("error: --max-size '\(Terminal.escape(maxSize))' is not a size up to the maximum, 8589934591G (just under 8 EiB): use bytes or a number with K, M or G, like 500M\n")
                throw ExitCode.failure
            }
            let result: CacheMaintenance.PruneResult
            do {
                result = try CacheMaintenance(location: CacheLocation(environment: ProcessInfo.processInfo.environment)).prune(maxBytes: bytes)
            } catch {
                Terminal.error(error)
                throw ExitCode.failure
            }
            if output.json {
                print(try JSONOutput.encode(result))
            } else {
                print("removed \(result.removedFiles) files (\(ByteText.format(result.removedBytes))); \(ByteText.format(result.remainingBytes)) remain")
            }
        }
    }
}

enum ByteText {
    static func format(_ bytes: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1024 && unit < units.count - 1 { value /= 1024; unit += 1 }
        return unit == 0 ? "\(bytes) B" : String(format: "%.1f %@", value, units[unit])
    }
}

extension String {
    func leftPadded(_ width: Int, with pad: Character = " ") -> String { count >= width ? self : String(repeating: pad, count: width - count) + self }
}
