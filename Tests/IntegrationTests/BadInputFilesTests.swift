import Foundation
import Testing
@testable import GadgetBuild

/// Files of the gadget folder that leave it through a symlink, dangle, or are not regular files, and
/// awkward names, through the real gadgetc binary (review F6, F14–F18): one escaped `error:` line naming
/// the file, a non-zero exit, nothing packaged, nothing from outside the folder echoed, no hang.
@Suite struct BadInputFilesTests {
    /// A copy of the trace_signal sample in a fresh folder, beside an `outside` folder with a secret.
    func gadget(named name: String = "gadget") throws -> (work: URL, gadget: URL, outside: URL) {
        let work = try Fixtures.temporaryDirectory("bad-files")
        let gadget = work.appendingPathComponent(name)
        try FileManager.default.copyItem(at: Fixtures.samples.appendingPathComponent("trace_signal"), to: gadget)
        let outside = work.appendingPathComponent("outside")
        try FileManager.default.createDirectory(at: outside, withIntermediateDirectories: true)
        try "root:$6$SECRET-HASH-DO-NOT-ECHO:19000:0:99999:7:::\n".write(to: outside.appendingPathComponent("shadow"), atomically: true, encoding: .utf8)
        return (work, gadget, outside)
    }

    /// Runs `gadgetc build` and checks the one-error-line contract; returns the error line.
    @discardableResult
    func expectOneError(_ arguments: [String], work: URL, contains expected: String,
                        sourceLocation: SourceLocation = #_sourceLocation) async throws -> String {
        let layout = work.appendingPathComponent("layout")
        let result = try await Fixtures.run([Fixtures.gadgetc, "build"] + arguments + ["--oci-layout", layout.path, "-I", Fixtures.bundledHeaders],
                                            environment: ["GADGETC_CACHE_DIR": work.appendingPathComponent("cache").path])
        #expect(result.status != 0 && !result.signaled, "stderr: \(result.standardError)", sourceLocation: sourceLocation)
        #expect(result.standardOutput.isEmpty, sourceLocation: sourceLocation)
        let errorLines = result.standardError.split(separator: "\n").filter { $0.hasPrefix("error:") || $0.hasPrefix("Error:") }
        #expect(errorLines.count == 1, "stderr: \(result.standardError)", sourceLocation: sourceLocation)
        #expect(errorLines.first?.contains(expected) == true, "stderr: \(result.standardError)", sourceLocation: sourceLocation)
        #expect(!result.standardError.contains("SECRET-HASH"), "outside content echoed: \(result.standardError)", sourceLocation: sourceLocation)
        #expect(!result.standardError.contains("NSCocoaErrorDomain") && !result.standardError.contains("could not be completed"),
                sourceLocation: sourceLocation)
        #expect(Fixtures.files(under: layout).filter { $0.hasPrefix("blobs/") }.isEmpty, sourceLocation: sourceLocation)
        return errorLines.first.map(String.init) ?? ""
    }

    @Test func siblingSourceLinkedOutsideIsRejectedBeforeClangRuns() async throws {
        let (work, gadget, outside) = try gadget()
        defer { try? FileManager.default.removeItem(at: work) }
        try FileManager.default.createSymbolicLink(atPath: gadget.appendingPathComponent("zz.bpf.c").path,
                                                   withDestinationPath: outside.appendingPathComponent("shadow").path)
        try await expectOneError([gadget.path], work: work, contains: "zz.bpf.c is a symlink to")
    }

    @Test func danglingSiblingLinkIsRejected() async throws {
        let (work, gadget, _) = try gadget()
        defer { try? FileManager.default.removeItem(at: work) }
        try FileManager.default.createSymbolicLink(atPath: gadget.appendingPathComponent("zz.bpf.c").path, withDestinationPath: "/nonexistent/zz.bpf.c")
        try await expectOneError([gadget.path], work: work, contains: "zz.bpf.c is a symlink to '/nonexistent/zz.bpf.c', which does not exist")
    }

    @Test func metadataAndSourceLinkedOutsideNameTheFileNotBuildYAML() async throws {
        let (work, gadget, outside) = try gadget()
        defer { try? FileManager.default.removeItem(at: work) }
        let metadata = gadget.appendingPathComponent("gadget.yaml")
        try FileManager.default.moveItem(at: metadata, to: outside.appendingPathComponent("gadget.yaml"))
        try FileManager.default.createSymbolicLink(atPath: metadata.path, withDestinationPath: outside.appendingPathComponent("gadget.yaml").path)
        let line = try await expectOneError([gadget.path], work: work, contains: "gadget.yaml is a symlink to")
        #expect(!line.contains("build.yaml"))

        try FileManager.default.removeItem(at: metadata)
        try FileManager.default.moveItem(at: outside.appendingPathComponent("gadget.yaml"), to: metadata)
        let source = gadget.appendingPathComponent("program.bpf.c")
        try FileManager.default.moveItem(at: source, to: outside.appendingPathComponent("program.bpf.c"))
        try FileManager.default.createSymbolicLink(atPath: source.path, withDestinationPath: outside.appendingPathComponent("program.bpf.c").path)
        let second = try await expectOneError([gadget.path], work: work, contains: "program.bpf.c is a symlink to")
        #expect(!second.contains("build.yaml"))
    }

    @Test func fifoSourceFailsAtOnceInsteadOfHanging() async throws {
        let (work, gadget, _) = try gadget()
        defer { try? FileManager.default.removeItem(at: work) }
        try FileManager.default.removeItem(at: gadget.appendingPathComponent("program.bpf.c"))
        #expect(mkfifo(gadget.appendingPathComponent("program.bpf.c").path, 0o644) == 0)
        try await expectOneError([gadget.path], work: work, contains: "program.bpf.c is a FIFO (named pipe), not a regular file")
    }

    @Test func directoryOrFIFOMetadataSaysSo() async throws {
        let (work, gadget, _) = try gadget()
        defer { try? FileManager.default.removeItem(at: work) }
        let metadata = gadget.appendingPathComponent("gadget.yaml")
        try FileManager.default.removeItem(at: metadata)
        try FileManager.default.createDirectory(at: metadata, withIntermediateDirectories: true)
        try await expectOneError([gadget.path], work: work, contains: "gadget.yaml is a directory, not a regular file")
        try FileManager.default.removeItem(at: metadata)
        #expect(mkfifo(metadata.path, 0o644) == 0)
        try await expectOneError([gadget.path], work: work, contains: "gadget.yaml is a FIFO (named pipe), not a regular file")
        try FileManager.default.removeItem(at: metadata)
        try FileManager.default.createDirectory(at: gadget.appendingPathComponent("build.yaml"), withIntermediateDirectories: true)
        try await expectOneError([gadget.path], work: work, contains: "build.yaml is a directory, not a regular file")
    }

    @Test func buildFileOptionNamingADevice() async throws {
        let (work, gadget, _) = try gadget()
        defer { try? FileManager.default.removeItem(at: work) }
        try await expectOneError([gadget.path, "-f", "/dev/zero"], work: work, contains: "-f /dev/zero is a character device, not a regular file")
    }

    @Test func ebpfSourceNamingADirectory() async throws {
        let (work, gadget, _) = try gadget()
        defer { try? FileManager.default.removeItem(at: work) }
        try FileManager.default.createDirectory(at: gadget.appendingPathComponent("adir"), withIntermediateDirectories: true)
        try "ebpfsource: adir\n".write(to: gadget.appendingPathComponent("build.yaml"), atomically: true, encoding: .utf8)
        try await expectOneError([gadget.path], work: work, contains: "build.yaml: 'ebpfsource: adir' is a directory, not a regular file")
    }

    @Test func wrongYAMLTypeInGadgetYAML() async throws {
        let (work, gadget, _) = try gadget()
        defer { try? FileManager.default.removeItem(at: work) }
        try "name: x\ndatasources: \"oops\"\n".write(to: gadget.appendingPathComponent("gadget.yaml"), atomically: true, encoding: .utf8)
        try await expectOneError([gadget.path], work: work, contains: "gadget.yaml: 'datasources' must be a mapping, found a string")
    }

    @Test func newlinesInAFolderOrTagAreShownEscaped() async throws {
        let (work, gadget, _) = try gadget()
        defer { try? FileManager.default.removeItem(at: work) }
        try await expectOneError(["/nonexistent/first\nsecond"], work: work, contains: "'/nonexistent/first\\nsecond' does not exist")
        try await expectOneError([gadget.path, "-t", "bad\nTAG"], work: work, contains: "bad\\nTAG")
    }

    @Test func nonUTF8FolderNameIsShownEscaped() async throws {
        let work = try Fixtures.temporaryDirectory("non-utf8")
        defer { try? FileManager.default.removeItem(at: work) }
        // Swift strings cannot hold the byte: printf makes it in the argument.
        let result = try await Fixtures.run(["/bin/sh", "-c", "exec \"$0\" build \"$(printf '%s/bad\\377name' \"$1\")\"", Fixtures.gadgetc, work.path])
        #expect(result.status != 0 && !result.signaled)
        let errorLines = result.standardError.split(separator: "\n").filter { $0.hasPrefix("error:") }
        #expect(errorLines.count == 1, "stderr: \(result.standardError)")
        #expect(errorLines.first?.contains("/bad\\xFFname' is not UTF-8") == true, "stderr: \(result.standardError)")
        #expect(!result.standardError.contains("\u{FFFD}"))
    }

    @Test func folderWithAColonIsTaggedWithItsWholeName() async throws {
        let (work, gadget, _) = try gadget(named: "a:b")
        defer { try? FileManager.default.removeItem(at: work) }
        let result = try await Fixtures.run([Fixtures.gadgetc, "build", gadget.path, "--arch", "amd64", "-I", Fixtures.bundledHeaders,
                                             "--oci-layout", work.appendingPathComponent("layout").path],
                                            environment: ["GADGETC_CACHE_DIR": work.appendingPathComponent("cache").path])
        #expect(result.succeeded, "stderr: \(result.standardError)")
        #expect(result.standardOutput.hasPrefix("Successfully built ghcr.io/inspektor-gadget/gadget/a-b:latest@sha256:"), "\(result.standardOutput)")
    }

    @Test func dryRunOutputIsAShellScriptThatInjectsNothing() async throws {
        let scriptFolder = try Fixtures.temporaryDirectory("dry-run-script")
        defer { try? FileManager.default.removeItem(at: scriptFolder) }
        let marker = scriptFolder.appendingPathComponent("INJECTED")
        let (work, gadget, _) = try gadget(named: "g\ntouch INJECTED\n#")
        defer { try? FileManager.default.removeItem(at: work) }
        let result = try await Fixtures.run([Fixtures.gadgetc, "build", "--dry-run", gadget.path, "--arch", "amd64", "-I", Fixtures.bundledHeaders],
                                            environment: ["GADGETC_CACHE_DIR": work.appendingPathComponent("cache").path])
        #expect(result.succeeded, "stderr: \(result.standardError)")
        let firstLine = result.standardOutput.split(separator: "\n").first.map(String.init) ?? ""
        #expect(firstLine == "# \(gadget.path.replacingOccurrences(of: "\n", with: "\\n"))")
        let script = work.appendingPathComponent("plan.sh")
        try result.standardOutput.write(to: script, atomically: true, encoding: .utf8)
        let syntax = try await Fixtures.run(["/bin/sh", "-n", script.path])
        #expect(syntax.succeeded, "sh -n: \(syntax.standardError)")
        _ = try await Fixtures.run(["/bin/sh", script.path], in: scriptFolder.path)
        #expect(!FileManager.default.fileExists(atPath: marker.path), "the folder's name ran as a command:\n\(result.standardOutput)")
    }

    @Test func badIncludeFoldersAreWarnedAbout() async throws {
        let (work, gadget, _) = try gadget()
        defer { try? FileManager.default.removeItem(at: work) }
        let result = try await Fixtures.run([Fixtures.gadgetc, "build", "--dry-run", gadget.path, "-I", "/nonexistent/headers", "-I", "/etc/passwd", "-I", "",
                                             "-I", Fixtures.bundledHeaders],
                                            environment: ["GADGETC_CACHE_DIR": work.appendingPathComponent("cache").path])
        #expect(result.succeeded, "stderr: \(result.standardError)")
        let warnings = result.standardError.split(separator: "\n").filter { $0.hasPrefix("warning:") }
        #expect(warnings.count == 3, "stderr: \(result.standardError)")
        #expect(warnings.contains { $0.contains("-I /nonexistent/headers: no such folder") })
        #expect(warnings.contains { $0.contains("-I /etc/passwd is a regular file, not a folder") })
        #expect(warnings.contains { $0.contains("-I '' names no folder") })
    }

    @Test(arguments: ["8589934592G", "infG", "1e30G", "nan"])
    func hugeOrInvalidPruneSizeIsAnErrorNotACrash(_ size: String) async throws {
        let work = try Fixtures.temporaryDirectory("prune")
        defer { try? FileManager.default.removeItem(at: work) }
        let result = try await Fixtures.run([Fixtures.gadgetc, "cache", "prune", "--max-size", size],
                                            environment: ["GADGETC_CACHE_DIR": work.path])
        #expect(result.status != 0 && !result.signaled, "status \(result.status), signaled \(result.signaled)")
        #expect(result.standardError.contains("8589934591G"), "stderr: \(result.standardError)")
        #expect(result.standardError.hasPrefix("error: ") && result.standardError.split(separator: "\n").count == 1, "one error line: \(result.standardError)")
    }

    @Test func updateMetadataThroughAnInFolderSymlinkKeepsTheLinkAndTheMode() async throws {
        let (work, gadget, _) = try gadget()
        defer { try? FileManager.default.removeItem(at: work) }
        let metadata = gadget.appendingPathComponent("gadget.yaml")
        let real = gadget.appendingPathComponent("real.yaml")
        let head = try String(contentsOf: metadata, encoding: .utf8).split(separator: "\n").prefix(5).joined(separator: "\n") + "\n"
        try head.write(to: real, atomically: true, encoding: .utf8)
        #expect(chmod(real.path, 0o644) == 0)
        try FileManager.default.removeItem(at: metadata)
        try FileManager.default.createSymbolicLink(atPath: metadata.path, withDestinationPath: "real.yaml")
        let result = try await Fixtures.run([Fixtures.gadgetc, "build", "--update-metadata", gadget.path, "--arch", "amd64", "-I", Fixtures.bundledHeaders,
                                             "--oci-layout", work.appendingPathComponent("layout").path],
                                            environment: ["GADGETC_CACHE_DIR": work.appendingPathComponent("cache").path])
        #expect(result.succeeded, "stderr: \(result.standardError)")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: metadata.path) == "real.yaml")
        var info = stat()
        #expect(stat(real.path, &info) == 0 && info.st_mode & 0o7777 == 0o644)
        #expect(try String(contentsOf: real, encoding: .utf8).contains("datasources:"))
    }
}
