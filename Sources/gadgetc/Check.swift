import ArgumentParser
import Foundation
import GadgetBuild

struct Check: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check gadgets' eBPF C with clang's front end in-process (libclang): diagnostics only, every arch, nothing written.",
        discussion: """
        Parses each gadget's sources with the exact command line 'gadgetc build' would run for each \
        architecture the host compiles natively (the same headers, vmlinux.h and defines), through \
        libclang loaded at run time, and prints clang's messages with the fixes clang offers. No \
        object, no image. The exit status is non-zero when a source has an error. Arches that only \
        the builder container can build are skipped and named. GADGETC_LIBCLANG picks the library.
        """
    )

    @Argument(help: ArgumentHelp("Gadget folders, or folders of gadget folders.", valueName: "dir"))
    var folders: [String] = ["."]

    @Option(help: ArgumentHelp("Architectures to check, comma separated.", valueName: "list"))
    var arch: String = "amd64,arm64"

    @OptionGroup(title: "Toolchain") var toolchain: ToolchainOptions

    @OptionGroup(title: "Output") var output: OutputOptions

    func validate() throws {
        do { _ = try Architecture.parseList(arch) } catch { throw ValidationError("\(error)") }
    }

    /// One gadget's answer (`--json`).
    struct GadgetCheck: Encodable {
        var folder: String
        var results: [SourceCheck.Result]
        /// Arches only the builder container can compile here: not checked.
        var skipped: [Architecture]
        var error: String?
    }

    func run() async throws {
        toolchain.warnAboutIncludeDirectories()
        let frontEnds = LibclangFrontEnds()
        let architectures = (try? Architecture.parseList(arch)) ?? Architecture.allCases
        var checks: [GadgetCheck] = []
        for folder in GadgetFolder.expand(folders) {
            let request = BuildRequest(gadgetFolder: folder, architectures: architectures, includeDirectories: toolchain.usableIncludeDirectories,
                                       verify: false, validateMetadata: false, useCache: true, container: ContainerSettings())
            do {
                let (plan, _) = try await BuildDriver(observer: SilentObserver()).sourcePlan(request)
                let frontEnd: LibclangFrontEnd
                do { frontEnd = try frontEnds.frontEnd(for: plan) } catch {
                    // No libclang: nothing can be checked, for any gadget.
                    Terminal.error(error)
                    throw ExitCode.failure
                }
                let (results, skipped) = try SourceCheck(frontEnd: frontEnd).run(plan)
                checks.append(GadgetCheck(folder: folder, results: results, skipped: skipped))
            } catch let exit as ExitCode {
                throw exit
            } catch {
                checks.append(GadgetCheck(folder: folder, results: [], skipped: [], error: Terminal.line(error)))
            }
        }
        if output.json {
            print(try checks.count == 1 ? JSONOutput.encode(checks[0]) : JSONOutput.encode(checks))
        } else {
            for check in checks { report(check, many: checks.count > 1) }
        }
        if checks.contains(where: { $0.error != nil || $0.results.contains { $0.hasErrors } }) { throw ExitCode.failure }
    }

    /// clang's lines (each message once, whichever arches gave it), the fixes, then one summary line.
    func report(_ check: GadgetCheck, many: Bool) {
        let name = Terminal.escape(URL(fileURLWithPath: check.folder).standardizedFileURL.lastPathComponent)
        if let error = check.error {
            Terminal.writeError("error: \(many ? "\(name): " : "")\(error)\n")
            return
        }
        let (errors, warnings) = DiagnosticText.write(check.results)
        let arches = Array(Set(check.results.map(\.arch))).sorted { $0.rawValue < $1.rawValue }.map(\.rawValue)
        let time = check.results.map(\.milliseconds).reduce(0, +)
        var summary = "\(name): checked \(arches.isEmpty ? "nothing" : arches.joined(separator: ", ")) in \(String(format: "%.0f", time)) ms: "
            + "\(errors) error\(errors == 1 ? "" : "s"), \(warnings) warning\(warnings == 1 ? "" : "s")"
        if !check.skipped.isEmpty {
            summary += "; \(check.skipped.map(\.rawValue).joined(separator: ", ")) skipped (only the builder container compiles it here)"
        }
        Terminal.writeError(summary + "\n")
    }
}

/// A diagnostic as clang prints it, paths relative to the current folder when they are inside it.
enum DiagnosticText {
    /// Writes each message once (whichever arches gave it) with the fixes clang offers; returns the
    /// counts of errors and warnings written.
    @discardableResult
    static func write(_ results: [SourceCheck.Result]) -> (errors: Int, warnings: Int) {
        var seen = Set<String>()
        var errors = 0, warnings = 0
        for diagnostic in results.flatMap(\.diagnostics) {
            let line = line(diagnostic)
            guard seen.insert(line).inserted else { continue }
            if diagnostic.severity == .error || diagnostic.severity == .fatalError { errors += 1 }
            if diagnostic.severity == .warning { warnings += 1 }
            Terminal.writeError(line + "\n" + (diagnostic.fixIts ?? []).map { "  fix-it: \(fixIt($0))\n" }.joined())
        }
        return (errors, warnings)
    }

    static func line(_ diagnostic: CompilerDiagnostic) -> String {
        let place = diagnostic.file.map { "\(Terminal.escape(relative($0))):\(diagnostic.line ?? 0):\(diagnostic.column ?? 0): " } ?? ""
        return "\(place)\(diagnostic.severity.rawValue): \(diagnostic.message)" + (diagnostic.option.map { " [\($0)]" } ?? "")
    }

    static func fixIt(_ fix: CompilerDiagnostic.FixIt) -> String {
        let range = fix.range
        let at = "\(range.startLine):\(range.startColumn)"
        if range.startLine == range.endLine && range.startColumn == range.endColumn { return "insert '\(fix.replacement)' at \(at)" }
        let span = "\(at)-\(range.endLine):\(range.endColumn)"
        return fix.replacement.isEmpty ? "remove \(span)" : "replace \(span) with '\(fix.replacement)'"
    }

    static func relative(_ path: String) -> String {
        let here = FileManager.default.currentDirectoryPath
        return path.hasPrefix(here + "/") ? String(path.dropFirst(here.count + 1)) : path
    }
}
