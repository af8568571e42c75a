import Foundation

/// A precompiled header is trusted only while it is sealed (`FileSeal`): clang writes it under a
/// temporary name, gadgetc seals it, and only then renames it into place.
/// A PCH changed afterwards (a flipped byte, a truncation) no longer matches its seal and is not used:
/// a damaged PCH can crash clang or, worse, compile without an error into other code.
public enum PrecompiledHeaderSeal {
    /// Runs the PCH compile `argv` (`PrecompiledHeader.argvWithoutOutput`) with `-o` a temporary file,
    /// seals the result and renames it to `output`. Returns the compile's result; nothing is left
    /// behind on failure.
    public static func build(argvWithoutOutput argv: [String], output: String, environment: [String: String],
                             runner: CommandRunning) async throws -> ProcessResult {
        let temporary = AtomicFile.temporarySibling(of: URL(fileURLWithPath: output)).path
        let command = argv + ["-o", temporary]
        let result: ProcessResult
        do {
            result = try await runner.run(command, workingDirectory: nil, environment: environment)
        } catch {
            unlink(temporary)
            throw error
        }
        guard result.succeeded else {
            unlink(temporary)
            return result
        }
        do {
            chmod(temporary, 0o644)  // clang creates it by the umask; cache files are 0644
            try FileSeal.seal(temporary, as: output)
            try AtomicFile.replace(URL(fileURLWithPath: output), with: URL(fileURLWithPath: temporary))
        } catch {
            unlink(temporary)
            throw error
        }
        return result
    }
}

/// The gadgetc executable, which builds precompiled headers in the background (`gadgetc
/// precompile-header`) so that they are sealed: this process when it is gadgetc, else a gadgetc next to
/// it or in a folder above (a test bundle beside the built tool); nil when there is none.
public enum GadgetcExecutable {
    public static let located: String? = {
        let me = URL(fileURLWithPath: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0])
        if me.lastPathComponent == "gadgetc" { return me.path }
        var folder = me.deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = folder.appendingPathComponent("gadgetc").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            folder.deleteLastPathComponent()
        }
        return nil
    }()
}
