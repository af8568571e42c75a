import ArgumentParser
import Foundation
import GadgetBuild
import Logging

extension ToolchainChoice: ExpressibleByArgument {}

/// Options that decide how the host's toolchain is found.
struct ToolchainOptions: ParsableArguments {
    @Option(name: .customShort("I"), help: ArgumentHelp("Extra include folder: gadget headers root, or a folder with <arch>/vmlinux.h. Repeatable.", valueName: "dir"))
    var includeDirectories: [String] = []

    /// The -I folders passed on (an empty value is dropped, with a warning).
    var usableIncludeDirectories: [String] { IncludeDirectoryCheck.usable(includeDirectories) }

    /// Prints a `warning:` line per -I value that adds no headers (empty, missing, not a folder).
    func warnAboutIncludeDirectories() {
        for warning in IncludeDirectoryCheck.warnings(includeDirectories) { Terminal.writeError("warning: \(Terminal.escape(warning))\n") }
    }
}

/// Which toolchain builds (`build`, `watch`).
struct ToolchainChoiceOptions: ParsableArguments {
    @Option(help: "Which toolchain builds: auto picks per arch from the capability probe.")
    var toolchain: ToolchainChoice = .auto

    @Flag(name: .shortAndLong, help: "Build on the host only, never in a container (same as --toolchain native).")
    var local = false

    @OptionGroup var includes: ToolchainOptions

    @Option(name: .customShort("j"), help: ArgumentHelp("Run at most this many compiles at once, across all gadgets (default: the number of cores).", valueName: "n"))
    var jobs: Int = ProcessInfo.processInfo.activeProcessorCount
}

/// Where a build's image and intermediate files go (`build`, `watch`).
struct DestinationOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Write the image to this OCI image layout folder (made if missing) instead of ig's store (/var/lib/ig/oci-store as root, else ~/.ig/oci-store).", valueName: "dir"))
    var ociLayout: String?

    @Option(help: ArgumentHelp("The same as --oci-layout: the OCI image layout folder to write the image to.", valueName: "dir"))
    var store: String?

    @Option(name: .shortAndLong, help: ArgumentHelp("Keep the per-arch objects and intermediate files in this folder.", valueName: "dir"))
    var output: String?
}

/// Machine-readable output.
struct OutputOptions: ParsableArguments {
    @Flag(help: "Print one JSON document on standard output instead of text.")
    var json = false

    @Flag(name: .shortAndLong, help: "Print each build step's command line as it starts (-vv: every command gadgetc runs, with its exit status and time).")
    var verbose: Int

    /// The log `-v` asks for (none under --json: standard error then carries errors only).
    var logger: Logger { TerminalLogHandler.logger(verbosity: json ? 0 : verbose) }
}

extension PullPolicy: ExpressibleByArgument {}

/// How to reach the builder image, for `build`, `watch` and `doctor`.
struct ContainerOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The builder image for arches the host cannot build.", valueName: "ref"))
    var builderImage: String = BuilderImage.defaultReference

    @Option(help: ArgumentHelp("When to pull the builder image: always, missing (only when absent) or never (offline).", valueName: "policy"))
    var builderImagePull: PullPolicy = .default

    @Option(help: ArgumentHelp("The container engine's socket (unix://PATH); default: DOCKER_HOST, CONTAINER_HOST, then docker's and podman's usual sockets.", valueName: "url"))
    var containerHost: String?

    var settings: ContainerSettings { ContainerSettings(engineOption: containerHost, image: builderImage, pullPolicy: builderImagePull) }
}
