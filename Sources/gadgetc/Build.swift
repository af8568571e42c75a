import ArgumentParser
import Foundation
import GadgetBuild

struct Build: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "build",  // named, not derived from the type: String(describing:) costs ~0.3 ms at start
        abstract: "Build gadget folders into OCI images, natively with the host's clang and libbpf.",
        discussion: """
        Compiles each gadget's eBPF sources for each architecture with ig's compile line, links and \
        checks each object with libbpf, and stores the image in ig's store (/var/lib/ig/oci-store as \
        root, else ~/.ig/oci-store), or in a standalone OCI layout with --oci-layout. Several gadgets \
        (or a folder of gadget folders) build concurrently; the exit status is non-zero if any failed.
        SOURCE_DATE_EPOCH sets the image's creation time for reproducible builds. Compiles are cached \
        in $XDG_CACHE_HOME/gadgetc (see 'gadgetc cache').

        ENVIRONMENT
          SOURCE_DATE_EPOCH      image creation time (seconds since 1970)
          GADGETC_CLANG          the clang to build with
          GADGETC_GO             the Go for wasm modules (default: go on PATH)
          GADGETC_CARGO          the cargo for wasm modules (default: on PATH)
          GADGETC_BPFTOOL        the bpftool --btfgen runs
          GADGETC_CACHE_DIR      the build cache (default: ~/.cache/gadgetc)
          GADGETC_TIMEOUT        seconds one command may run (default: 600)
          GADGETC_PCH=off        no precompiled vmlinux.h
          GADGETC_TRACE=1        print where a build's time goes
          GADGETC_BPF_DIR        gadgetc's bpf/ folder, when not beside it
          GADGETC_KERNEL_BTF     BTF for vmlinux.h (/sys/kernel/btf/vmlinux)
          GADGETC_LIBCLANG       the libclang --update-metadata reads C
                                 comments with (default: the newest found)
          GADGETC_REMOTE_CACHE   the team's cache (as --remote-cache); with
                                 _UPLOAD=1, _CA=FILE.pem, _INSECURE=HOSTS
          IG_SOURCE_PATH         ig's source tree, for in-tree wasm gadgets
          DOCKER_HOST            the engine for the builder image (also
                                 CONTAINER_HOST)
          NO_COLOR               no colour on a terminal
        """
    )

    @Argument(help: ArgumentHelp("Gadget folders (program.bpf.c, gadget.yaml, optional build.yaml), or folders of gadget folders.", valueName: "dir"))
    var folders: [String] = ["."]

    @OptionGroup var options: BuildOptions

    @Flag(help: "Print the plan (every command line) without running it.")
    var dryRun = false

    @Flag(help: ArgumentHelp("Build each gadget a second time in other conditions (a copy at another path, an empty cache, no precompiled header, -j 1) with the same creation time, and fail, saying where they differ, when the two images' digests differ.", valueName: "check-reproducible"))
    var checkReproducible = false

    @Flag(help: "Also write compile_commands.json into each gadget folder built (see 'gadgetc compile-commands').")
    var compileCommands = false

    @OptionGroup(title: "Output") var outputOptions: OutputOptions

    func validate() throws { try options.check(folders: GadgetFolder.expand(folders)) }

    func run() async throws {
        try await BuildLog.$logger.withValue(outputOptions.logger) { try await runLogged() }
    }

    func runLogged() async throws {
        PhaseTrace.mark("gadgetc build: arguments parsed")
        options.toolchainOptions.warnAboutIncludeDirectories()
        let batch = GadgetBatch(folders: GadgetFolder.expand(folders), options: options, quiet: outputOptions.json)
        if dryRun {
            do {
                for folder in batch.folders {
                    let (plan, _) = try await batch.driver(folder).plan(options.request(for: folder, count: batch.folders.count))
                    print(outputOptions.json ? try JSONOutput.encode(plan) : PlanText.render(plan))
                }
            } catch {
                Terminal.error(error)
                throw ExitCode.failure
            }
            return
        }
        if checkReproducible, ProcessInfo.processInfo.environment["SOURCE_DATE_EPOCH"] == nil {
            // Both builds must share one creation time: now, as the first build would have used.
            setenv("SOURCE_DATE_EPOCH", String(Int(Date().timeIntervalSince1970)), 1)
        }
        let results = try await Interruption.run { await batch.build() }
        if outputOptions.json && checkReproducible {
            // One JSON document: each gadget's outcome with its reproducibility report (printed below).
            for (folder, result) in results { if case .failure(let error) = result { Terminal.error(error, prefix: batch.many ? "\(batch.name(folder)): " : "") } }
        } else if outputOptions.json {
            let reports = results.map { GadgetResult(folder: $0.folder, result: $0.result, diagnostics: batch.compilerMessages.take($0.folder)) }
            if !batch.many, case .success(let outcome) = results[0].result {
                print(try JSONOutput.encode(outcome))
            } else {
                print(try batch.many ? JSONOutput.encode(reports) : JSONOutput.encode(reports[0]))
            }
            for (folder, result) in results { if case .failure(let error) = result { Terminal.error(error, prefix: batch.many ? "\(batch.name(folder)): " : "") } }
        } else {
            batch.report(results)
        }
        if compileCommands { try await writeCompileCommands(results) }
        if results.contains(where: { if case .failure = $0.result { true } else { false } }) { throw ExitCode.failure }
        if checkReproducible { try await checkReproducibility(results, batch: batch) }
    }

    /// `--compile-commands`: the editor's database of each gadget that built (asked for, so no surprise file).
    func writeCompileCommands(_ results: [(folder: String, result: Result<BuildOutcome, Error>)]) async throws {
        var failed = false
        for (folder, result) in results {
            guard case .success = result else { continue }
            do {
                let database = try await CompileCommandsWriter.database(folder, buildFile: options.file, architectures: options.arch,
                                                                        includeDirectories: options.toolchainOptions.usableIncludeDirectories)
                let url = URL(fileURLWithPath: folder).standardizedFileURL.appendingPathComponent("compile_commands.json")
                if !CompileCommandsWriter.write(database, to: url) { failed = true }
            } catch {
                Terminal.error(error)
                failed = true
            }
        }
        if failed { throw ExitCode.failure }
    }

    /// `--check-reproducible`: one line per gadget, the differences under it; non-zero when any differs.
    func checkReproducibility(_ results: [(folder: String, result: Result<BuildOutcome, Error>)], batch: GadgetBatch) async throws {
        var failed = false
        var checked: [CheckedResult] = []
        defer {
            if outputOptions.json, let text = try? JSONOutput.encode(checked) { print(text) }
        }
        for (folder, result) in results {
            guard case .success(let outcome) = result else {
                checked.append(CheckedResult(folder: folder, outcome: nil, reproducibility: nil))
                continue
            }
            let name = batch.name(folder)
            do {
                let request = options.request(for: folder, count: batch.folders.count)
                let report = try await Interruption.run { () async -> Result<ReproducibilityCheck.Report, Error> in
                    do { return .success(try await ReproducibilityCheck().run(request, first: outcome)) } catch { return .failure(error) }
                }.get()
                checked.append(CheckedResult(folder: folder, outcome: outcome, reproducibility: report))
                if !outputOptions.json && report.reproducible {
                    Terminal.writeError("\(name): reproducible: \(report.first) again with \(report.conditions.joined(separator: ", "))\n")
                }
                if !report.reproducible {
                    failed = true
                    Terminal.writeError("error: \(name) is not reproducible: \(report.first) first, \(report.second) with \(report.conditions.joined(separator: ", "))\n")
                    for line in report.differences { Terminal.writeError("  \(line)\n") }
                }
            } catch {
                failed = true
                Terminal.error(error, prefix: "\(name): the second build failed: ")
            }
        }
        if failed { throw ExitCode.failure }
    }
}

/// One gadget's entry in `--json` output with `--check-reproducible`.
struct CheckedResult: Encodable {
    var folder: String
    var outcome: BuildOutcome?
    var reproducibility: ReproducibilityCheck.Report?
}

/// One gadget's entry in `--json` output when several gadgets build (or one fails).
struct GadgetResult: Encodable {
    var folder: String
    var outcome: BuildOutcome?
    var error: String?
    /// A failed build's compiler messages (a successful one's are in its outcome).
    var diagnostics: [CompilerDiagnostic]?

    init(folder: String, result: Result<BuildOutcome, Error>, diagnostics: [CompilerDiagnostic] = []) {
        self.folder = folder
        switch result {
        case .success(let outcome): self.outcome = outcome
        case .failure(let error):
            self.error = Terminal.line(error)
            self.diagnostics = diagnostics
        }
    }
}

/// `--dry-run` as text: one line per job with its exact command line.
enum PlanText {
    static func render(_ plan: BuildPlan) -> String {
        // Comment lines show paths escaped (a newline in a folder's name must not end the comment); command
        // lines quote every word, so the output runs as a shell script exactly as planned.
        var lines = ["# " + Terminal.escape(plan.gadgetFolder)]
        if let compiler = plan.compiler { lines.append("# " + Terminal.escape("native: clang \(compiler.version) at \(compiler.path) (\(plan.compilerReason))")) }
        if let container = plan.container {
            let arches = plan.toolchains.filter { $0.toolchain == .container }.map(\.arch.rawValue).joined(separator: ", ")
            lines.append("# " + Terminal.escape("\(arches) in the builder container: \(container.image) (pull: \(container.pullPolicy.rawValue)); run as: docker exec CONTAINER …"))
        }
        if let wasm = plan.wasm {
            let how = wasm.compiler.map { "native: \($0.version) at \($0.path)" } ?? "in the builder container"
            lines.append("# " + Terminal.escape("wasm module (\(wasm.language.rawValue)) \(how) (\(wasm.reasons.joined(separator: "; ")))"))
        }
        for job in plan.jobs {
            lines.append(job.argv.isEmpty
                ? "# " + Terminal.escape("\(job.summary) (\(job.kind == .btfgen ? "per kernel: tar -xJf KERNEL.btf.tar.xz; bpftool gen min_core_btf KERNEL.btf MINIMAL.btf \(job.inputs[0])" : "in-process"))\(job.outputs.isEmpty ? "" : " -> " + job.outputs.joined(separator: " "))")
                : "(cd \(Terminal.quote(job.workingDirectory ?? ".")) && \(Self.assignments(job.environment))\(command(job.argv)))")
            if let build = job.wasm, build.language == .rust, let target = build.targetDirectory {
                lines.append("#   " + Terminal.escape("then: copy \(target)/\(build.target ?? "")/release/<crate name>.wasm to \(build.module)"))
            }
            if let map = job.pathMap, !map.isEmpty {
                lines.append("#   " + Terminal.escape("BTF line info paths: " + map.map { "\($0.from) -> \($0.to)" }.joined(separator: ", ")))
            }
        }
        for pch in plan.precompiledHeadersToBuild {
            lines.append("# " + Terminal.escape("afterwards, in the background, for later builds: \(assignments(pch.environment))\(command(pch.argv))"))
        }
        return lines.joined(separator: "\n")
    }

    /// An argv as shell words.
    static func command(_ argv: [String]) -> String {
        (argv.prefix(1).map(Terminal.quoteCommand) + argv.dropFirst().map(Terminal.quote)).joined(separator: " ")
    }

    /// `NAME=value ` for each variable a command gets added, as a shell would take them.
    static func assignments(_ environment: [String: String]?) -> String {
        (environment ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\(Terminal.quote($0.value)) " }.joined()
    }
}
