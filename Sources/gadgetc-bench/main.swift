// gadgetc-bench: gadgetc against ig's builder steps (compile per arch + llvm-strip -g, with the same clang and
// headers), side by side, on the bundled sample gadgets. See `gadgetc-bench --help`.
import Foundation
import GadgetBuild

struct Options {
    var gadgetc: String?
    var samples: String?
    var runs = 9
    var includes: [String] = []
    var gadget: String?
    var json = false
    /// Which arches get a vmlinux.h: ig's builder has one per arch; this host's kernel gives only its own.
    var vmlinux = "both"
    /// Kernels per arch in the btfgen scenarios' archive; 0 leaves them out.
    var btfgenKernels = 0
    /// Also time the sample gadgets with a Go or Rust wasm module.
    var wasm = false
    /// A registry repository for the team-cache scenarios (HOST[:PORT]/REPO); nil leaves them out.
    var remoteCache: String?

    static let usage = """
    usage: gadgetc-bench [--gadgetc PATH] [--samples DIR] [--runs N] [--include DIR]… [--gadget NAME] [--vmlinux both|host] [--btfgen N] [--wasm] [--remote-cache REF] [--json]

      --gadgetc PATH   gadgetc binary to measure (default: next to this executable, else <repo>/.build/release/gadgetc)
      --samples DIR    folder of gadget folders (default: <repo>/bpf/gadgets, found from this executable or the current folder)
      --runs N         timed runs per side and scenario (default 9)
      --include DIR    -I for gadgetc, repeatable (default: <repo>/bpf/include, gadgetc's own gadget headers)
      --gadget NAME    the sample used by the single-gadget scenarios (default: trace_exec, else the first)
      --vmlinux both   give both arches a vmlinux.h, as ig's builder does (default); arm64's is a stand-in
                       made from this kernel's BTF, for compile cost only (no arm64 BTF exists here)
      --vmlinux host   only the host arch gets one (arm64 compiles take the samples' vmlinux-free branch)
      --btfgen N       also time --btfgen on an archive of N kernels per arch made from this kernel's BTF
      --wasm           also time the samples with a Go or Rust wasm module (edit of its source, no-op) against ig's builder steps
      --remote-cache REF  also time a fresh machine (empty cache) with this registry repository warm, and with it empty, against a cold local build
                       (2N .btf.tar.xz files; 3 runs per side; needs bpftool and /sys/kernel/btf/vmlinux)
      --json           print one JSON document instead of the table (progress stays on stderr)
    """

    static func parse(_ arguments: [String]) throws -> Options {
        var options = Options()
        var iterator = arguments.makeIterator()
        func value(_ flag: String) throws -> String {
            guard let value = iterator.next() else { throw BenchError("\(flag) needs a value\n\(usage)") }
            return value
        }
        while let argument = iterator.next() {
            switch argument {
            case "--gadgetc": options.gadgetc = try value(argument)
            case "--samples": options.samples = try value(argument)
            case "--runs":
                guard let runs = Int(try value(argument)), runs > 0 else { throw BenchError("--runs needs a positive number") }
                options.runs = runs
            case "--include", "-I": options.includes.append(try value(argument))
            case "--gadget": options.gadget = try value(argument)
            case "--json": options.json = true
            case "--wasm": options.wasm = true
            case "--remote-cache": options.remoteCache = try value(argument)
            case "--btfgen":
                guard let kernels = Int(try value(argument)), kernels > 0 else { throw BenchError("--btfgen needs a positive number of kernels per arch") }
                options.btfgenKernels = kernels
            case "--vmlinux":
                options.vmlinux = try value(argument)
                guard ["both", "host"].contains(options.vmlinux) else { throw BenchError("--vmlinux takes both or host") }
            case "-h", "--help": print(usage); exit(0)
            default: throw BenchError("unknown argument \(argument)\n\(usage)")
            }
        }
        return options
    }
}

func absolute(_ path: String) -> String {
    URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath)).standardizedFileURL.path
}

/// The repo holding bpf/gadgets: searched upward from this executable (inside .build*/), then from the current folder.
func findRepository(executable: String) -> String? {
    for start in [URL(fileURLWithPath: executable).deletingLastPathComponent(), URL(fileURLWithPath: FileManager.default.currentDirectoryPath)] {
        var folder = start.standardizedFileURL
        while true {
            if FileManager.default.fileExists(atPath: folder.appendingPathComponent("bpf/gadgets").path) { return folder.path }
            let parent = folder.deletingLastPathComponent()
            if parent.path == folder.path { break }
            folder = parent
        }
    }
    return nil
}

func kernelRelease() -> String {
    var name = utsname()
    uname(&name)
    return withUnsafeBytes(of: &name.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
}

func loadAverage() -> String {
    ((try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? "?").split(separator: " ").first.map(String.init) ?? "?"
}

func bench(_ options: Options, workspace: Workspace) async throws -> Report {
    let loadBefore = loadAverage()
    let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    let repository = findRepository(executable: executable)
    guard let samples = (options.samples.map(absolute) ?? repository.map { "\($0)/bpf/gadgets" }) else {
        throw BenchError("no sample gadgets found (no bpf/gadgets above this executable or the current folder); pass --samples DIR")
    }
    var includes = options.includes.isEmpty ? [repository.map { "\($0)/bpf/include" }].compactMap { $0 } : options.includes.map(absolute)
    var notes: [String] = []
    // Both sides get the same vmlinux.h, made once up front, the way ig's headers give one to both: a
    // realistic compile (most gadgets include vmlinux.h) and no generation cost charged to either side.
    if options.includes.isEmpty, FileManager.default.fileExists(atPath: "/sys/kernel/btf/vmlinux") {
        let headers = try workspace.fresh("host-headers")
        try FileManager.default.createDirectory(atPath: "\(headers)/amd64", withIntermediateDirectories: true)
        try VmlinuxHeader.generate(fromBTF: URL(fileURLWithPath: "/sys/kernel/btf/vmlinux"), to: URL(fileURLWithPath: "\(headers)/amd64/vmlinux.h"))
        includes.append(headers)
        if options.vmlinux == "both" {
            try FileManager.default.createDirectory(atPath: "\(headers)/arm64", withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: "\(headers)/amd64/vmlinux.h", toPath: "\(headers)/arm64/vmlinux.h")
            notes.append("--vmlinux both: each arch gets a vmlinux.h, given to both sides with -I, as ig's builder has one per arch; arm64's is a stand-in with this (amd64) kernel's types, for compile cost only")
        } else {
            notes.append("--vmlinux host: vmlinux.h for amd64 only, generated from /sys/kernel/btf/vmlinux and given to both sides with -I; arm64 compiles take the samples' vmlinux-free branch on both sides")
        }
    }
    // `swift run -c release gadgetc-bench` puts gadgetc (when built) next to this executable.
    let gadgetcCandidates = options.gadgetc.map { [absolute($0)] }
        ?? [URL(fileURLWithPath: executable).deletingLastPathComponent().appendingPathComponent("gadgetc").path,
            repository.map { "\($0)/.build/release/gadgetc" }].compactMap { $0 }
    guard let gadgetcPath = gadgetcCandidates.first(where: FileManager.default.isExecutableFile) else {
        throw BenchError("no gadgetc binary (tried \(gadgetcCandidates.joined(separator: ", "))); build it with `swift build -c release --product gadgetc` or pass --gadgetc PATH")
    }
    let gadgetc = Gadgetc(path: gadgetcPath, includes: includes)
    let runner = ProcessRunner()

    // The baseline uses the clang gadgetc picks, so the comparison is of the drivers, not of compilers.
    let scratchCache = try workspace.fresh("cache-probe")
    let doctor = try await gadgetc.doctor(cache: scratchCache)
    let (clang, clangVersion) = (doctor.clangPath, doctor.clangVersion)
    if !doctor.missing.isEmpty { notes.append("gadgetc doctor: missing " + doctor.missing.joined(separator: "; ")) }
    guard let strip = StripTool.find() else { throw BenchError("no llvm-strip, llvm-strip-16, llvm-strip-14 or /opt/swift/usr/bin/llvm-objcopy") }
    progress("gadgetc \(gadgetcPath); clang \(clang) (\(clangVersion)); strip \(strip.display)")

    let all = try FileManager.default.contentsOfDirectory(atPath: samples).sorted()
        .map { "\(samples)/\($0)" }
        .filter { FileManager.default.fileExists(atPath: "\($0)/gadget.yaml") || FileManager.default.fileExists(atPath: "\($0)/program.bpf.c") }
    // The main table compares eBPF builds with ig's compile line; gadgets with a wasm source are timed by --wasm.
    let wasmFolders = all.filter { ((try? GadgetFolder(folder: $0))?.wasm?.needsBuild) ?? false }
    let folders = all.filter { !wasmFolders.contains($0) }
    guard !folders.isEmpty else { throw BenchError("no gadget folders in \(samples)") }
    let names = folders.map { URL(fileURLWithPath: $0).lastPathComponent }
    let mainName = options.gadget ?? (names.contains("trace_exec") ? "trace_exec" : names[0])
    guard let mainFolder = folders.first(where: { URL(fileURLWithPath: $0).lastPathComponent == mainName }) else {
        throw BenchError("no gadget \(mainName) in \(samples) (have: \(names.joined(separator: ", ")))")
    }

    /// ig's steps for a folder, from gadgetc's plan of that same folder.
    func baseline(of folder: String) async throws -> BaselineGadget {
        let gadget = try GadgetFolder(folder: folder)
        guard let mainSource = gadget.ebpfSources.first else { throw BenchError("\(folder) has no eBPF source") }
        return try BaselineGadget(name: gadget.name, plan: try await gadgetc.plan(folder, cache: scratchCache), clang: clang,
                                  mainSource: mainSource, otherSources: Array(gadget.ebpfSources.dropFirst()))
    }
    let baselines = try await folders.asyncMap(baseline(of:))
    for gadget in baselines where !gadget.skippedSources.isEmpty {
        notes.append("\(gadget.name) spans several files: the baseline compiles only \(gadget.compiles[0].source) as ig does; gadgetc also compiles \(gadget.skippedSources.joined(separator: ", ")) and links")
    }
    let mainBaseline = baselines[folders.firstIndex(of: mainFolder)!]
    notes.append("baseline per gadget: " + mainBaseline.compiles.map { "(cd DIR && \($0.argv.joined(separator: " ")) -o OUT/\($0.arch).bpf.o && \(strip.path) \(strip.flag) OUT/\($0.arch).bpf.o)" }.joined(separator: "; then "))

    // Copies to edit; the header one gets its header before anything is measured.
    let sourceCopy = try workspace.copy(gadget: mainFolder)
    let headerCopy = try workspace.copy(gadget: mainFolder)
    let mainSource = mainBaseline.compiles[0].source
    let (header, addedHeader) = try workspace.localHeader(in: headerCopy, mainSource: mainSource)
    notes.append(addedHeader
        ? "\(mainName) includes no local header: the header scenario's copy includes an added bench_local.h"
        : "the header scenario edits \(mainName)'s own \(URL(fileURLWithPath: header).lastPathComponent)")
    let sourceCopyBaseline = try await baseline(of: sourceCopy)
    let headerCopyBaseline = try await baseline(of: headerCopy)

    func runBaseline(_ gadgets: [BaselineGadget]) async throws -> Sample {
        var total = Duration.zero
        for gadget in gadgets { total += try await gadget.run(runner, strip: strip, outputDirectory: try workspace.fresh("baseline-out")) }
        return Sample(milliseconds: total.milliseconds)
    }

    // Cold runs each get an empty cache; the previous one is deleted first, untimed, once its
    // background compiles are over (the runner waits for them after each run).
    var previousColdCache: String?
    func coldBuild(_ folders: [String]) async throws -> Sample {
        if let previousColdCache { workspace.remove(previousColdCache) }
        let cache = try workspace.fresh("cache-cold")
        previousColdCache = cache
        return try await gadgetc.build(folders, cache: cache, layout: workspace.unused("oci-cold"))
    }

    // The warm scenarios share one cache, primed (untimed) for each scenario's folder.
    let warmCache = try workspace.fresh("cache-warm")
    func warmScenario(key: String, title: String, target: Double, folder: String, baseline: BaselineGadget,
                      edit: String?) async throws -> Scenario {
        let layout = workspace.unused("oci-\(key)")
        // Twice: the first build after the background precompiled header lands recompiles with it (its use is
        // part of the cache key); what follows is the steady state of an edit loop.
        for _ in 0..<2 {
            _ = try await gadgetc.build([folder], cache: warmCache, layout: layout)
            await ClangWatch.waitUntilGone(marker: workspace.root)
        }
        return Scenario(key: key, title: title, target: target,
                        baseline: { _ in
                            if let edit { try workspace.touch(edit) }
                            return try await runBaseline([baseline])
                        },
                        gadgetc: { _ in
                            if let edit { try workspace.touch(edit) }
                            return try await gadgetc.build([folder], cache: warmCache, layout: layout)
                        })
    }

    // One untimed round of each side first, so the first timed run does not pay for loading clang from disk.
    progress("warming up (untimed)")
    _ = try await runBaseline(baselines)
    _ = try await gadgetc.build(folders, cache: try workspace.fresh("cache-warmup"), layout: workspace.unused("oci-warmup"))

    let scenarioRunner = ScenarioRunner(runs: options.runs, marker: workspace.root)
    var results: [ScenarioResult] = []
    func measure(_ scenario: Scenario) async throws {
        progress("\(scenario.title): \(options.runs) runs per side")
        results.append(try await scenarioRunner.run(scenario))
    }
    try await measure(Scenario(key: "cold-one", title: "cold build, one gadget (\(mainName))", target: 0.60,
                               baseline: { _ in try await runBaseline([mainBaseline]) },
                               gadgetc: { _ in try await coldBuild([mainFolder]) }))
    try await measure(Scenario(key: "cold-all", title: "cold build, all \(folders.count) samples", target: 0.50,
                               baseline: { _ in try await runBaseline(baselines) },
                               gadgetc: { _ in try await coldBuild(folders) }))
    if let previousColdCache { workspace.remove(previousColdCache) }
    try await measure(try await warmScenario(key: "no-op", title: "no-op rebuild (\(mainName))", target: 0.03,
                                             folder: mainFolder, baseline: mainBaseline, edit: nil))
    try await measure(try await warmScenario(key: "edit-source", title: "rebuild after editing \(mainSource)", target: 0.30,
                                             folder: sourceCopy, baseline: sourceCopyBaseline, edit: "\(sourceCopy)/\(mainSource)"))
    try await measure(try await warmScenario(key: "edit-header", title: "rebuild after editing \(URL(fileURLWithPath: header).lastPathComponent)",
                                             target: 0.35, folder: headerCopy, baseline: headerCopyBaseline, edit: header))

    // libclang after the same edit, warm (the source copy's cache holds its PCHs by now).
    if let (check, firstParse) = try await CheckBench(folder: sourceCopy, includes: includes, cache: warmCache).prepare() {
        try await measure(Scenario(key: "check-edit", title: "check after editing \(mainSource) (libclang, warm, both arches)", target: 0.20,
                                   baseline: { _ in
                                       try workspace.touch("\(sourceCopy)/\(mainSource)")
                                       return try await runBaseline([sourceCopyBaseline])
                                   },
                                   gadgetc: { _ in
                                       try workspace.touch("\(sourceCopy)/\(mainSource)")
                                       return try await check()
                                   }))
        notes.append(String(format: "check: in-process through libclang as gadgetc watch runs it (plan and re-parse of both arches, the translation units and their preambles kept); its first parse took %.0f ms", firstParse))
    } else {
        notes.append("check: libclang does not load here (GADGETC_LIBCLANG, or apt-get install libclang1-16): not measured")
    }

    if options.btfgenKernels > 0 {
        try await measureBTFGen(kernels: options.btfgenKernels, runs: min(options.runs, 3))
    }
    if options.wasm {
        try await measureWasm(runs: min(options.runs, 5))
    }
    if let reference = options.remoteCache {
        try await measureRemoteCache(reference, runs: min(options.runs, 5))
    }

    /// --remote-cache REF: what a fresh machine (an empty local cache) pays for all samples when the team's
    /// cache has them, and when it has nothing (every lookup a miss), against a cold local build.
    func measureRemoteCache(_ reference: String, runs: Int) async throws {
        let remoteRunner = ScenarioRunner(runs: runs, marker: workspace.root)
        let warmRepository = "\(reference)-warm-\(UInt32.random(in: 0...UInt32.max))"
        progress("remote cache: filling \(warmRepository) (untimed)")
        _ = try await gadgetc.build(folders, cache: try workspace.fresh("cache-remote-fill"), layout: workspace.unused("oci-remote-fill"),
                                    extra: ["--remote-cache", warmRepository, "--remote-cache-upload"])
        var previous: String?
        func fresh() throws -> String {
            if let previous { workspace.remove(previous) }
            let cache = try workspace.fresh("cache-remote")
            previous = cache
            return cache
        }
        let lookups = try folders.reduce(0) { $0 + (try GadgetFolder(folder: $1)).ebpfSources.count * 2 }
        for (key, title, target, repository) in [
            ("remote-warm", "fresh machine, all \(folders.count) samples, warm remote cache", 0.20, { warmRepository }),
            ("remote-miss", "fresh machine, all \(folders.count) samples, empty remote cache", 1.10,
             { "\(reference)-empty-\(UInt32.random(in: 0...UInt32.max))" }),
        ] as [(String, String, Double, () -> String)] {
            progress("\(title): \(runs) runs per side")
            results.append(try await remoteRunner.run(Scenario(
                key: key, title: title, target: target,
                baseline: { _ in try await gadgetc.build(folders, cache: try fresh(), layout: workspace.unused("oci-remote-base")) },
                gadgetc: { _ in
                    try await gadgetc.build(folders, cache: try fresh(), layout: workspace.unused("oci-remote"), extra: ["--remote-cache", repository()])
                })))
        }
        if let miss = results.last(where: { $0.key == "remote-miss" }) {
            notes.append(String(format: "remote cache: baseline here is gadgetc's own cold local build; all %d lookups missing cost ≈ %.0f ms per build, most of it compiling without the shared PCHs a batch without a team cache builds first",
                                lookups, miss.gadgetcMedian - miss.baselineMedian))
        }
    }

    /// --wasm: ig's builder builds a gadget's wasm module in a fresh container, so with an empty Go or
    /// cargo cache, on every build; gadgetc reuses the toolchain's cache and its own.
    func measureWasm(runs: Int) async throws {
        let wasmRunner = ScenarioRunner(runs: runs, marker: workspace.root)
        for folder in wasmFolders {
            let gadget = try GadgetFolder(folder: folder)
            guard let source = gadget.wasm else { continue }
            let copy = try workspace.copy(gadget: folder)
            let copied = try GadgetFolder(folder: copy)
            let eBPF = try await baseline(of: copy)
            let edited = copied.wasm?.source.path ?? ""
            let language = source.language == .go ? "go" : "cargo"
            let baselineRun: (Int) async throws -> Sample = { _ in
                let output = try workspace.fresh("baseline-wasm")
                defer { workspace.remove(output) }
                let clock = ContinuousClock()
                let start = clock.now
                _ = try await eBPF.run(runner, strip: strip, outputDirectory: output)
                try await BaselineWasm(source: copied.wasm!).run(runner, outputDirectory: output)
                return Sample(milliseconds: (clock.now - start).milliseconds)
            }
            let cache = try workspace.fresh("cache-wasm-\(gadget.name)")
            let layout = workspace.unused("oci-wasm-\(gadget.name)")
            for _ in 0..<2 { _ = try await gadgetc.build([copy], cache: cache, layout: layout) }
            for (key, title, target, edit) in [
                ("wasm-edit-\(language)", "rebuild after editing \(URL(fileURLWithPath: edited).lastPathComponent) (\(gadget.name), \(language))", 0.30, true),
                ("wasm-no-op-\(language)", "no-op rebuild (\(gadget.name), \(language) wasm)", 0.03, false),
            ] {
                progress("\(title): \(runs) runs per side")
                results.append(try await wasmRunner.run(Scenario(
                    key: key, title: title, target: target,
                    baseline: { run in
                        if edit { try workspace.touch(edited, code: false, comment: "//") }
                        return try await baselineRun(run)
                    },
                    gadgetc: { _ in
                        if edit { try workspace.touch(edited, code: false, comment: "//") }
                        return try await gadgetc.build([copy], cache: cache, layout: layout)
                    })))
            }
        }
        if !wasmFolders.isEmpty {
            notes.append("wasm baseline: ig's builder steps for the gadget (its clang compiles and strips, then its go build / cargo build line with an empty GOCACHE / CARGO_TARGET_DIR, as in a fresh builder container); gadgetc keeps the toolchain's cache (GOCACHE as the user has it, CARGO_TARGET_DIR under its cache)")
        }
    }

    /// --btfgen N: ig's builder redoes every kernel, one at a time, on every build; gadgetc runs them under
    /// -j and takes each (object, kernel) pair it has seen from the cache.
    func measureBTFGen(kernels: Int, runs: Int) async throws {
        guard let bpftool = try? BPFTool.required(environment: ProcessInfo.processInfo.environment) else {
            throw BenchError("--btfgen needs bpftool (apt-get install bpftool)")
        }
        progress("btfgen: packing an archive of \(2 * kernels) kernels (untimed)")
        var archive = try await BenchBTFHub.make(at: try workspace.fresh("btfhub-archive"), kernelsPerArch: kernels, runner: runner)
        let flags = ["--btfgen", "--btfhub-archive", archive.root]
        let btfRunner = ScenarioRunner(runs: runs, marker: workspace.root)
        func baselineWithBTFGen(_ gadget: BaselineGadget) async throws -> Sample {
            let output = try workspace.fresh("baseline-btfgen")
            let clock = ContinuousClock()
            let start = clock.now
            _ = try await gadget.run(runner, strip: strip, outputDirectory: output)
            for compile in gadget.compiles {
                try await BaselineBTFGen(bpftool: bpftool, archive: archive).run(
                    runner, object: "\(output)/\(compile.arch).bpf.o", arch: compile.arch == "amd64" ? "x86_64" : compile.arch, outputDirectory: output)
            }
            let elapsed = clock.now - start
            workspace.remove(output)
            return Sample(milliseconds: elapsed.milliseconds)
        }
        var previous: String?
        let cold = try await btfRunner.run(Scenario(
            key: "btfgen-cold", title: "cold build with --btfgen, \(2 * kernels) kernels (\(mainName))", target: 0.70,
            baseline: { _ in try await baselineWithBTFGen(mainBaseline) },
            gadgetc: { _ in
                if let previous { workspace.remove(previous) }
                let cache = try workspace.fresh("cache-btfgen-cold")
                previous = cache
                return try await gadgetc.build([mainFolder], cache: cache, layout: workspace.unused("oci-btfgen"), extra: flags)
            }))
        results.append(cold)
        if let previous { workspace.remove(previous) }
        let warm = try workspace.fresh("cache-btfgen-warm")
        let editCopy = try workspace.copy(gadget: mainFolder)
        let editBaseline = try await baseline(of: editCopy)
        for (key, title, target, folder, edit) in [
            ("btfgen-edit-source", "rebuild with --btfgen after a code edit to \(mainSource)", 0.70, editCopy, Optional("\(editCopy)/\(mainSource)")),
            ("btfgen-new-kernel", "rebuild with --btfgen after one kernel is added to the archive", 0.05, mainFolder, nil),
            ("btfgen-no-op", "no-op rebuild with --btfgen", 0.03, mainFolder, nil),
        ] {
            let layout = workspace.unused("oci-\(key)")
            for _ in 0..<2 { _ = try await gadgetc.build([folder], cache: warm, layout: layout, extra: flags) }
            progress("\(title): \(runs) runs per side")
            results.append(try await btfRunner.run(Scenario(
                key: key, title: title, target: target,
                // A code edit (a new constant): it changes both objects, so every kernel is minimised again
                // (a comment edit leaves the objects as they were, and the cache answers for every kernel).
                baseline: { _ in
                    if let edit { try workspace.touch(edit, code: true) }
                    return try await baselineWithBTFGen(folder == editCopy ? editBaseline : mainBaseline)
                },
                gadgetc: { _ in
                    if let edit { try workspace.touch(edit, code: true) }
                    if key == "btfgen-new-kernel" { try await archive.addKernel(runner: runner) }
                    return try await gadgetc.build([folder], cache: warm, layout: layout, extra: flags)
                })))
        }
        if let coldOne = results.first(where: { $0.key == "cold-one" }) {
            let files = Double(2 * kernels)
            notes.append("btfgen per kernel (cold with --btfgen minus cold without, over \(2 * kernels) kernel files): baseline "
                         + String(format: "%.1f ms, gadgetc %.1f ms", (cold.baselineMedian - coldOne.baselineMedian) / files,
                                  (cold.gadgetcMedian - coldOne.gadgetcMedian) / files))
        }
        notes.append("btfgen baseline: ig's steps per kernel, one after the other (tar xfJ, bpftool gen min_core_btf, rm), then tar czf, after its compiles; the archive is this kernel's BTF under \(2 * kernels) names, packed with xz -0")
    }

    notes.append("cold = empty GADGETC_CACHE_DIR (the OS page cache is warm for both sides); edits append a comment line with a new counter to a copy of the gadget")
    let machine = Machine(cores: ProcessInfo.processInfo.activeProcessorCount, kernel: kernelRelease(),
                          loadBefore: loadBefore, loadAfter: loadAverage(), clang: clangVersion,
                          clangPath: clang, strip: strip.display, gadgetc: gadgetcPath)
    return Report(machine: machine, runs: options.runs, includes: includes, notes: notes, scenarios: results)
}

extension Array {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var result: [T] = []
        for element in self { result.append(try await transform(element)) }
        return result
    }
}

let options: Options
do { options = try Options.parse(Array(CommandLine.arguments.dropFirst())) } catch {
    progress("gadgetc-bench: \(error)")
    exit(2)
}
let workspace: Workspace
do { workspace = try Workspace() } catch {
    progress("gadgetc-bench: cannot create a temporary folder: \(error)")
    exit(1)
}
do {
    let report = try await bench(options, workspace: workspace)
    await ClangWatch.waitUntilGone(marker: workspace.root)
    workspace.removeAll()
    print(options.json ? try report.json() : report.text())
} catch {
    await ClangWatch.waitUntilGone(marker: workspace.root)
    workspace.removeAll()
    progress("gadgetc-bench: \(error)")
    exit(1)
}
