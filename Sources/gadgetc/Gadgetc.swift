import ArgumentParser
import Foundation
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
        subcommands: [Build.self, Watch.self, Check.self, Verify.self, CompileCommands.self, Inspect.self, Doctor.self, Cache.self, Store.self, PrecompileHeader.self]
    )

    /// Arguments are checked to be UTF-8 before parsing: Swift decodes them with replacement characters,
    /// so a non-UTF-8 folder name would otherwise be looked for under another name.
    static func main() async {
        if let bad = RawArguments.firstNonUTF8() {
            Terminal.writeError("error: argument '\(bad)' is not UTF-8 text (shown with \\x escapes): gadgetc takes paths and names as UTF-8; rename the folder or file\n")
            Foundation.exit(EXIT_FAILURE)
        }
        await main(nil)
    }
}

/// The program's arguments as the kernel passed them, before Swift's UTF-8 decoding.
enum RawArguments {
    /// The first argument that is not valid UTF-8, shown with its invalid bytes as `\xNN` (and control characters escaped).
    static func firstNonUTF8() -> String? {
        for index in 1..<Int(CommandLine.argc) {
            guard let pointer = CommandLine.unsafeArgv[index] else { continue }
            let bytes = Array(UnsafeBufferPointer(start: UnsafeRawPointer(pointer).assumingMemoryBound(to: UInt8.self), count: strlen(pointer)))
            if String(validating: bytes, as: UTF8.self) == nil { return escaped(bytes) }
        }
        return nil
    }

    /// Valid UTF-8 as text, every other byte as `\xNN`.
    static func escaped(_ bytes: [UInt8]) -> String {
        var text = ""
        var start = 0
        while start < bytes.count {
            // A UTF-8 sequence is 1 to 4 bytes long.
            if let length = (1...4).first(where: { start + $0 <= bytes.count && String(validating: bytes[start..<start + $0], as: UTF8.self) != nil }) {
                text += Terminal.escape(String(decoding: bytes[start..<start + length], as: UTF8.self))
                start += length
            } else {
                text += "\\x" + String(bytes[start], radix: 16, uppercase: true).leftPadded(2, with: "0")
                start += 1
            }
        }
        return text
    }
}
