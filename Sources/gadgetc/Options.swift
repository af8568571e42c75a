import ArgumentParser
import GadgetBuild

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

/// Machine-readable output.
struct OutputOptions: ParsableArguments {
    @Flag(help: "Print one JSON document on standard output instead of text.")
    var json = false

    @Flag(name: .shortAndLong, help: "Print each command line as it starts (builds; as ig's -v shows its builder's).")
    var verbose = false
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
