import ArgumentParser
import GadgetBuild

@main
struct Gadgetc: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gadgetc",
        abstract: "Build Inspektor Gadget gadgets natively with the host's clang and libbpf.",
        discussion: """
        gadgetc compiles a gadget's eBPF C for amd64 and arm64 with the host's clang, links and checks \
        the objects with libbpf, and packages the same OCI image that 'ig image build' makes.
        Run 'gadgetc doctor' to see what this host can build.
        """,
        version: GadgetcVersion.string,
        subcommands: [Build.self, Watch.self, Doctor.self, Cache.self, Store.self, PrecompileHeader.self]
    )
}
