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

    @Argument(help: ArgumentHelp("The gadget folder (program.bpf.c, gadget.yaml, optional build.yaml).", valueName: "dir"))
    var folder: String = "."

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

    @OptionGroup(title: "Output") var outputOptions: OutputOptions

    func validate() throws {
        if local && toolchain == .container {
            throw ValidationError("--local and --toolchain container contradict each other; pick one")
        }
        if ociLayout != nil && store != nil {
            throw ValidationError("--oci-layout and --store both name where the image goes; pick one")
        }
    }

    func run() async throws {
        let architectures: [Architecture]
        do { architectures = try Architecture.parseList(arch) } catch { throw ValidationError("\(error)") }
        let request = BuildRequest(
            gadgetFolder: folder, buildFile: file, architectures: architectures,
            toolchain: local ? .native : toolchain, includeDirectories: toolchainOptions.includeDirectories,
            tag: tag, outputDirectory: output, ociLayout: ociLayout ?? store, verify: verify,
            validateMetadata: validateMetadata)
        let observer = TerminalObserver(quiet: outputOptions.json)
        let driver = BuildDriver(observer: observer)
        do {
            if dryRun {
                let (plan, _) = try await driver.plan(request)
                print(outputOptions.json ? try JSONOutput.encode(plan) : PlanText.render(plan))
                return
            }
            let outcome = try await driver.build(request)
            if outputOptions.json {
                print(try JSONOutput.encode(outcome))
            } else {
                print(outcome.successLine)
            }
        } catch {
            Terminal.error(error)
            throw ExitCode.failure
        }
    }
}

/// `--dry-run` as text: one block per job with its exact command line.
enum PlanText {
    static func render(_ plan: BuildPlan) -> String {
        var lines = ["# \(plan.gadgetFolder): clang \(plan.compiler.version) at \(plan.compiler.path) (\(plan.compilerReason))"]
        for job in plan.jobs {
            lines.append(job.argv.isEmpty
                ? "# \(job.summary) (in-process) -> \(job.outputs.joined(separator: " "))"
                : "(cd \(Terminal.quote(job.workingDirectory ?? ".")) && \(job.argv.map(Terminal.quote).joined(separator: " ")))")
        }
        return lines.joined(separator: "\n")
    }
}
