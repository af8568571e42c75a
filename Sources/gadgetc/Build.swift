import ArgumentParser
import Foundation
import GadgetBuild

struct Build: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Build a gadget folder into an OCI image, natively with the host's clang and libbpf.",
        discussion: """
        Compiles the gadget's eBPF sources for each architecture with ig's compile line, links and \
        checks each object with libbpf, and stores the image in ig's store (/var/lib/ig/oci-store as \
        root, else ~/.ig/oci-store), or in a standalone OCI layout with --oci-layout.
        SOURCE_DATE_EPOCH sets the image's creation time for reproducible builds.
        """
    )

    @Argument(help: ArgumentHelp("Gadget folders (program.bpf.c, gadget.yaml, optional build.yaml), or folders of gadget folders.", valueName: "dir"))
    var folders: [String] = ["."]

    @Option(name: .shortAndLong, help: ArgumentHelp("Path to build.yaml (default: DIR/build.yaml).", valueName: "file"))
    var file: String?

    @Option(name: .shortAndLong, help: ArgumentHelp("Name for the built image (name:tag); default: the folder's name, tag latest.", valueName: "name:tag"))
    var tag: String?

    @Option(name: .shortAndLong, help: ArgumentHelp("Keep the per-arch objects and intermediate files in this folder.", valueName: "dir"))
    var output: String?

    @Option(help: ArgumentHelp("Architectures to build, comma separated.", valueName: "list"))
    var arch: String = "amd64,arm64"

    @Option(help: "Which toolchain builds: auto picks per arch from the capability probe.")
    var toolchain: ToolchainChoice = .auto

    @Flag(name: .shortAndLong, help: "Build on the host only, never in a container (same as --toolchain native).")
    var local = false

    @OptionGroup(title: "Toolchain") var toolchainOptions: ToolchainOptions

    @Option(help: ArgumentHelp("Write a standalone OCI image layout to this folder instead of ig's store.", valueName: "dir"))
    var ociLayout: String?

    @Option(help: ArgumentHelp("Use this OCI layout as the image store instead of ig's.", valueName: "dir"))
    var store: String?

    @Flag(help: "Load each object of the host's architecture into the kernel verifier (needs root or CAP_BPF).")
    var verify = false

    @Flag(inversion: .prefixedNo, help: "Check gadget.yaml against the eBPF object (params, tracers, map iterators).")
    var validateMetadata = true

    @Flag(help: "Print the plan (every command line) without running it.")
    var dryRun = false

    @Option(name: .customShort("j"), help: ArgumentHelp("Run at most this many compiles at once, across all gadgets (default: the number of cores).", valueName: "n"))
    var jobs: Int = ProcessInfo.processInfo.activeProcessorCount

    @Flag(help: "Neither read nor write the build cache.")
    var noCache = false

    @OptionGroup(title: "Output") var outputOptions: OutputOptions

    func validate() throws {
        if local && toolchain == .container {
            throw ValidationError("--local and --toolchain container contradict each other; pick one")
        }
        if jobs < 1 { throw ValidationError("-j must be at least 1") }
        if folders.count > 1 && tag != nil {
            throw ValidationError("-t names one image; build one gadget at a time to tag it, or leave -t out to name each after its folder")
        }
        if ociLayout != nil && store != nil {
            throw ValidationError("--oci-layout and --store both name where the image goes; pick one")
        }
    }

    func run() async throws {
        let architectures: [Architecture]
        do { architectures = try Architecture.parseList(arch) } catch { throw ValidationError("\(error)") }
        let gadgets = GadgetFolder.expand(folders)
        let many = gadgets.count > 1
        let slots = JobSlots(jobs)
        func request(_ folder: String) -> BuildRequest {
            BuildRequest(
                gadgetFolder: folder, buildFile: file, architectures: architectures,
                toolchain: local ? .native : toolchain, includeDirectories: toolchainOptions.includeDirectories,
                tag: tag, outputDirectory: output.map { many ? "\($0)/\(URL(fileURLWithPath: folder).lastPathComponent)" : $0 },
                ociLayout: ociLayout ?? store, verify: verify, validateMetadata: validateMetadata, useCache: !noCache)
        }
        func driver(_ folder: String) -> BuildDriver {
            let name = URL(fileURLWithPath: folder).standardizedFileURL.lastPathComponent
            return BuildDriver(observer: TerminalObserver(quiet: outputOptions.json, prefix: many ? "\(name): " : ""), slots: slots)
        }

        if dryRun {
            do {
                for folder in gadgets {
                    let (plan, _) = try await driver(folder).plan(request(folder))
                    print(outputOptions.json ? try JSONOutput.encode(plan) : PlanText.render(plan))
                }
            } catch {
                Terminal.error(error)
                throw ExitCode.failure
            }
            return
        }

        // Every gadget builds, concurrently, even when one fails; results print in the order given.
        let results = await withTaskGroup(of: (Int, Result<BuildOutcome, Error>).self) { group in
            for (index, folder) in gadgets.enumerated() {
                group.addTask {
                    do { return (index, .success(try await driver(folder).build(request(folder)))) } catch { return (index, .failure(error)) }
                }
            }
            var results = [Result<BuildOutcome, Error>?](repeating: nil, count: gadgets.count)
            for await (index, result) in group { results[index] = result }
            return results.compactMap { $0 }
        }
        if outputOptions.json {
            let reports = zip(gadgets, results).map { GadgetResult(folder: $0, result: $1) }
            print(try many ? JSONOutput.encode(reports) : (try? results[0].get()).map(JSONOutput.encode) ?? JSONOutput.encode(reports[0]))
        }
        for (folder, result) in zip(gadgets, results) {
            switch result {
            case .success(let outcome):
                if !outputOptions.json { print(outcome.successLine) }
            case .failure(let error):
                Terminal.error(error, prefix: many ? "\(URL(fileURLWithPath: folder).lastPathComponent): " : "")
            }
        }
        if results.contains(where: { if case .failure = $0 { true } else { false } }) { throw ExitCode.failure }
    }
}

/// One gadget's entry in `--json` output when several gadgets build.
struct GadgetResult: Encodable {
    var folder: String
    var outcome: BuildOutcome?
    var error: String?

    init(folder: String, result: Result<BuildOutcome, Error>) {
        self.folder = folder
        switch result {
        case .success(let outcome): self.outcome = outcome
        case .failure(let error): self.error = Terminal.line(error)
        }
    }
}

/// `--dry-run` as text: one block per job with its exact command line.
enum PlanText {
    static func render(_ plan: BuildPlan) -> String {
        var lines = ["# \(plan.gadgetFolder): clang \(plan.compiler.version) at \(plan.compiler.path) (\(plan.compilerReason))"]
        for job in plan.jobs {
            lines.append(job.argv.isEmpty
                ? "# \(job.summary) (in-process)\(job.outputs.isEmpty ? "" : " -> " + job.outputs.joined(separator: " "))"
                : "(cd \(Terminal.quote(job.workingDirectory ?? ".")) && \(job.argv.map(Terminal.quote).joined(separator: " ")))")
        }
        return lines.joined(separator: "\n")
    }
}
