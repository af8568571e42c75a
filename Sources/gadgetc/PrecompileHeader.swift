import ArgumentParser
import Foundation
import GadgetBuild

/// What gadgetc starts in the background to make a precompiled header for later builds: clang into a
/// temporary file, then the seal, then the rename (see `PrecompiledHeaderSeal`). Not for users.
struct PrecompileHeader: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "precompile-header",
        abstract: "Build and seal a precompiled header (run by gadgetc itself, in the background).",
        shouldDisplay: false
    )

    @Option(help: ArgumentHelp("The PCH to make.", valueName: "file"))
    var output: String
    @Argument(parsing: .captureForPassthrough, help: "The clang command without its -o, after --.")
    var command: [String] = []

    func run() async throws {
        let argv = command.first == "--" ? Array(command.dropFirst()) : command
        guard !argv.isEmpty else { throw ValidationError("give the clang command after --") }
        defer { unlink(output + ".lock") }  // taken by the build that started this one
        let result = try await PrecompiledHeaderSeal.build(argvWithoutOutput: argv, output: output, environment: [:], runner: ProcessRunner())
        if !result.succeeded { throw ExitCode(result.status == 0 ? 1 : result.status) }
    }
}
