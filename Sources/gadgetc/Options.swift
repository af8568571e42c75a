import ArgumentParser
import GadgetBuild

extension ToolchainChoice: ExpressibleByArgument {}

/// Options that decide how the host's toolchain is found.
struct ToolchainOptions: ParsableArguments {
    @Option(name: .customShort("I"), help: ArgumentHelp("Extra include folder: gadget headers root, or a folder with <arch>/vmlinux.h. Repeatable.", valueName: "dir"))
    var includeDirectories: [String] = []
}

/// Machine-readable output.
struct OutputOptions: ParsableArguments {
    @Flag(help: "Print one JSON document on standard output instead of text.")
    var json = false
}
