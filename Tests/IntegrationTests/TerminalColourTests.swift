import Foundation
import Testing

/// Issue 14, point 2: `error:` and `warning:` in colour on a terminal (a pseudo-terminal from `script`),
/// never with NO_COLOR, never when standard error is not a terminal.
@Suite struct TerminalColourTests {
    func build(environment: [String: String], terminal: Bool, gadget: URL = Fixtures.testdata.appendingPathComponent("syntax_error")) async throws -> String {
        let root = try Fixtures.temporaryDirectory("colour")
        defer { try? FileManager.default.removeItem(at: root) }
        let command = [Fixtures.gadgetc, "build", gadget.path, "--arch", "amd64",
                       "-I", Fixtures.bundledHeaders, "--oci-layout", root.appendingPathComponent("layout").path]
        let env = environment.merging(["GADGETC_CACHE_DIR": root.appendingPathComponent("cache").path]) { $1 }
        if terminal {
            // script runs the command on a pseudo-terminal and copies what it wrote to its own standard output.
            let line = command.map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: " ")
            return try await Fixtures.run(["script", "-qec", line, "/dev/null"], environment: env).standardOutput
        }
        return try await Fixtures.run(command, environment: env).standardError
    }

    @Test func colourOnATerminalOnly() async throws {
        let red = "\u{1B}[1;31merror:\u{1B}[0m"
        let onTerminal = try await build(environment: ["NO_COLOR": "", "TERM": "xterm"], terminal: true)
        #expect(onTerminal.contains(red), "\(onTerminal.debugDescription)")
        let noColour = try await build(environment: ["NO_COLOR": "1", "TERM": "xterm"], terminal: true)
        // NO_COLOR takes colours (SGR sequences) away, not the status line's line clearing.
        #expect(noColour.contains("error:") && !noColour.contains("\u{1B}[1;") && !noColour.contains("\u{1B}[0m"), "\(noColour.debugDescription)")
        let piped = try await build(environment: ["NO_COLOR": "", "TERM": "xterm"], terminal: false)
        #expect(piped.contains("error:") && !piped.contains("\u{1B}["))
    }

    /// Issue 14, point 2: on a terminal a live line names the running steps and their time, cleared before
    /// each finished step's line; piped output has only the plain lines.
    @Test func statusLineOnATerminalOnly() async throws {
        let sample = Fixtures.samples.appendingPathComponent("trace_signal")
        let onTerminal = try await build(environment: ["TERM": "xterm"], terminal: true, gadget: sample)
        #expect(onTerminal.contains("building: [amd64] compile program.bpf.c "), "\(onTerminal.debugDescription)")
        // Each finished step's line starts on a cleared line: the status never mixes into it.
        #expect(onTerminal.contains("\r\u{1B}[K[amd64] compile program.bpf.c ("), "\(onTerminal.debugDescription)")
        let piped = try await build(environment: ["TERM": "xterm"], terminal: false, gadget: sample)
        #expect(piped.contains("[amd64] compile program.bpf.c (") && !piped.contains("building:") && !piped.contains("\r"), "\(piped.debugDescription)")
        let dumb = try await build(environment: ["TERM": "dumb"], terminal: true, gadget: sample)
        #expect(dumb.contains("[amd64] compile program.bpf.c (") && !dumb.contains("building:"), "\(dumb.debugDescription)")
    }
}
