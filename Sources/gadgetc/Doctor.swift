import ArgumentParser
import Foundation
import GadgetBuild

struct Doctor: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Report what this host can build and which toolchain each architecture would use.",
        discussion: "Exits non-zero when no architecture can be built on this host."
    )

    @OptionGroup(title: "Toolchain") var toolchain: ToolchainOptions

    @OptionGroup(title: "Container") var container: ContainerOptions
    @OptionGroup(title: "Output") var output: OutputOptions

    @Option(help: ArgumentHelp("Also check this team cache (HOST[:PORT]/REPOSITORY; default GADGETC_REMOTE_CACHE): reachable, readable, writable.", valueName: "ref"))
    var remoteCache: String?

    func run() async throws {
        toolchain.warnAboutIncludeDirectories()
        let host = LiveHost()
        var report = await HostProbe(host: host, cache: CacheLocation(environment: host.environment),
                                     userIncludeDirectories: toolchain.usableIncludeDirectories, engineOption: container.containerHost,
                                     builderImage: container.builderImage).run()
        let locator = WasmToolchainLocator(host: host)
        var wasm: [WasmToolchainFinding] = []
        for language in WasmCompiler.Language.allCases { wasm.append(await locator.find(language)) }
        report.wasm = wasm
        if let reference = remoteCache ?? ProcessInfo.processInfo.environment["GADGETC_REMOTE_CACHE"].flatMap({ $0.isEmpty ? nil : $0 }) {
            do {
                report.remoteCache = await RemoteCache(settings: try RemoteCacheSettings(parsing: reference)).check()
            } catch {
                Terminal.error(error)
                throw ExitCode.failure
            }
        }
        if output.json {
            print(try JSONOutput.encode(report))
        } else {
            print(DoctorText.render(report))
        }
        if !report.decisions.contains(where: { $0.toolchain != .none }) { throw ExitCode.failure }
    }
}

/// The human-readable doctor report.
enum DoctorText {
    static func render(_ report: ProbeReport) -> String {
        var lines = ["gadgetc \(report.gadgetcVersion) on \(report.hostArchitecture) (probe took \(String(format: "%.1f", report.elapsedMilliseconds)) ms)",
                     "images are made as ig \(report.builderVersion) makes them (builder version annotation \(report.builderVersion); --builder-version changes it)"]
        if let reproducibility = report.reproducibility { lines.append(reproducibility) }
        lines.append("")
        let width = report.capabilities.map(\.name.count).max() ?? 0
        for capability in report.capabilities {
            let mark = capability.found ? "found  " : (capability.required ? "MISSING" : "missing")
            var line = "  \(mark)  \(capability.name.padding(toLength: width, withPad: " ", startingAt: 0))  "
            line += [capability.version.map { "v\($0)" }, capability.path, capability.detail].compactMap { $0 }.joined(separator: "  ")
            lines.append(line)
            if let fix = capability.fix, !capability.found {
                lines.append("  \(String(repeating: " ", count: 9 + width))  fix: \(fix)")
            }
        }
        if report.compilers.count > 1 {
            lines.append("")
            lines.append("clang drivers examined:")
            for compiler in report.compilers {
                let chosen = compiler == report.chosenCompiler ? " (chosen)" : ""
                lines.append("  \(compiler.path)  clang \(compiler.version)  \(compiler.hasBPFTarget ? "BPF target" : "no BPF target")\(chosen)")
            }
        }
        if !report.warnings.isEmpty {
            lines.append("")
            lines += report.warnings.map { "warning: \($0)" }
        }
        lines.append("")
        lines.append("--toolchain auto would use:")
        for decision in report.decisions {
            lines.append("  \(decision.arch): \(decision.toolchain)")
            lines += decision.reasons.map { "    - \($0)" }
        }
        if let remote = report.remoteCache {
            lines.append("")
            let state = remote.canWrite ? "read and write" : remote.canRead ? "read only (uploads refused)" : remote.reachable ? "reachable, not readable" : "not reachable"
            lines.append("remote cache \(remote.reference) (\(remote.scheme)): \(state)" + (remote.credentials.map { ", credentials from \($0)" } ?? ""))
            if let problem = remote.problem { lines.append("  \(problem)") }
        }
        if let wasm = report.wasm {
            let engine = report.capability("container engine")?.found ?? false
            lines.append("")
            lines.append("wasm modules (build.yaml `wasm: go/…` or `wasm: rust/src/…`):")
            for finding in wasm {
                let name = finding.language == .go ? "Go" : "Rust"
                if let compiler = finding.compiler {
                    let target = compiler.target.map { ", target \($0)" } ?? ""
                    lines.append("  found    \(name): \(compiler.version)\(target)  \(compiler.path)  (auto builds natively)")
                } else {
                    lines.append("  missing  \(name): \(finding.missing)")
                    lines.append("           auto would build \(name) modules \(engine ? "in the builder image (its \(finding.language == .go ? "go" : "cargo"), no network: modules come from the host's module cache)" : "nowhere: no container engine either")")
                }
            }
        }
        return lines.joined(separator: "\n")
    }
}

/// Every `--json` document gadgetc prints: sorted keys, and in each top-level object (or each object of a
/// top-level array) `schemaVersion` (raised when a field changes meaning or goes away; new fields do not
/// raise it) and `gadgetcVersion`, so that a script can tell what it reads.
enum JSONOutput {
    static let schemaVersion = 1

    static func encode<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        let data = try encoder.encode(value)
        func stamped(_ object: Any) -> Any {
            guard var dictionary = object as? [String: Any] else { return object }
            dictionary["schemaVersion"] = schemaVersion
            dictionary["gadgetcVersion"] = GadgetcVersion.string
            return dictionary
        }
        guard let parsed = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) else { return String(decoding: data, as: UTF8.self) }
        let document = (parsed as? [Any]).map { $0.map(stamped) as Any } ?? stamped(parsed)
        let output = try JSONSerialization.data(withJSONObject: document, options: [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes])
        return String(decoding: output, as: UTF8.self)
    }
}
