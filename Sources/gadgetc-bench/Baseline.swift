import Foundation
import GadgetBuild

/// A failure of the benchmark itself (a tool missing, a run that did not succeed).
struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Runs argv with the library's posix_spawn-based runner and times it with ContinuousClock.
/// A non-zero exit is an error: a benchmark of a failing build measures nothing.
func timedRun(_ runner: ProcessRunner, _ argv: [String], in directory: String? = nil) async throws -> (Duration, ProcessResult) {
    let clock = ContinuousClock()
    let start = clock.now
    let result = try await runner.run(argv, workingDirectory: directory)
    let elapsed = clock.now - start
    guard result.succeeded else {
        throw BenchError("\(argv.joined(separator: " ")) failed (status \(result.status)):\n\(result.standardError)\(result.standardOutput)")
    }
    return (elapsed, result)
}

/// The tool that removes DWARF after each compile, as `llvm-strip -g` does in ig's builder.
struct StripTool: Sendable {
    var path: String
    var flag: String

    /// llvm-strip, then versioned ones, then the Swift toolchain's llvm-objcopy (same effect with --strip-debug).
    static func find(environment: [String: String] = ProcessInfo.processInfo.environment) -> StripTool? {
        let searchPath = (environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":").map(String.init)
        for name in ["llvm-strip", "llvm-strip-16", "llvm-strip-14"] {
            for dir in searchPath where FileManager.default.isExecutableFile(atPath: "\(dir)/\(name)") {
                return StripTool(path: "\(dir)/\(name)", flag: "-g")
            }
        }
        let objcopy = "/opt/swift/usr/bin/llvm-objcopy"
        return FileManager.default.isExecutableFile(atPath: objcopy) ? StripTool(path: objcopy, flag: "--strip-debug") : nil
    }

    /// `llvm-strip -g` for display, with the real file a symlink points at (llvm-strip is usually one).
    var display: String {
        let real = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        return "\(path) \(flag)" + (real == path ? "" : " (→ \(real))")
    }
}

/// One compile of ig's builder: run in the gadget's folder, then strip the object.
struct BaselineCompile: Sendable {
    var arch: String
    var workingDirectory: String
    /// ig's line up to `-o`; the output is appended per run.
    var argv: [String]
    var source: String
}

/// What ig's builder does for one gadget: both arches, one after the other, each compile followed by `llvm-strip -g`.
struct BaselineGadget: Sendable {
    var name: String
    var compiles: [BaselineCompile]
    /// Sources gadgetc compiles that ig's line leaves out (other `*.bpf.c` files of a multi-file gadget).
    var skippedSources: [String]

    /// Rebuilds ig's exact compile line from gadgetc's `--dry-run --json` plan, keeping gadgetc's include
    /// folders (same search order) so both sides see the same headers, and dropping what ig does not pass
    /// (depfile flags, a precompiled header). Only the main source is compiled, as ig does.
    init(name: String, plan: [String: Any], clang: String, mainSource: String, otherSources: [String]) throws {
        self.name = name
        self.skippedSources = otherSources
        let jobs = plan["jobs"] as? [[String: Any]] ?? []
        var compiles: [BaselineCompile] = []
        for job in jobs where job["kind"] as? String == "compile" {
            guard let arch = job["arch"] as? String, let argv = job["argv"] as? [String],
                  let cIndex = argv.firstIndex(of: "-c"), cIndex + 1 < argv.count, argv[cIndex + 1] == mainSource,
                  !compiles.contains(where: { $0.arch == arch }) else { continue }
            let (before, define) = Self.includesAndDefine(argv[..<cIndex])
            let (after, _) = Self.includesAndDefine(argv[(cIndex + 2)...])
            guard let define else { throw BenchError("\(name): no -D __TARGET_ARCH_* in gadgetc's compile line for \(arch)") }
            let line = [clang, "-target", "bpf", "-Wall", "-g", "-O2"] + before + ["-D", define, "-c", mainSource] + after
            compiles.append(BaselineCompile(arch: arch, workingDirectory: job["workingDirectory"] as? String ?? ".",
                                            argv: line, source: mainSource))
        }
        guard !compiles.isEmpty else { throw BenchError("\(name): gadgetc's dry-run has no compile of \(mainSource)") }
        self.compiles = compiles
    }

    /// The `-I` flags (joined or separate, kept as written) and the `__TARGET_ARCH_*` define in a slice of argv.
    private static func includesAndDefine(_ argv: ArraySlice<String>) -> ([String], String?) {
        var includes: [String] = []
        var define: String?
        var index = argv.startIndex
        while index < argv.endIndex {
            let token = argv[index]
            let next = index + 1 < argv.endIndex ? argv[index + 1] : nil
            if token == "-I", let next { includes += ["-I", next]; index += 2; continue }
            if token.hasPrefix("-I") { includes.append(token) }
            if token == "-D", let next, next.hasPrefix("__TARGET_ARCH_") { define = next; index += 2; continue }
            if token.hasPrefix("-D__TARGET_ARCH_") { define = String(token.dropFirst(2)) }
            index += 1
        }
        return (includes, define)
    }

    /// One ig-style build of this gadget into `outputDirectory`; returns the wall time of all its steps.
    func run(_ runner: ProcessRunner, strip: StripTool, outputDirectory: String) async throws -> Duration {
        let clock = ContinuousClock()
        let start = clock.now
        for compile in compiles {
            let object = "\(outputDirectory)/\(compile.arch).bpf.o"
            _ = try await timedRun(runner, compile.argv + ["-o", object], in: compile.workingDirectory)
            _ = try await timedRun(runner, [strip.path, strip.flag, object])
        }
        return clock.now - start
    }
}
