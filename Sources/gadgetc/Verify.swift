import ArgumentParser
import Foundation
import GadgetBuild

struct Verify: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Load each program of an object (or of a gadget, built for this host) into the kernel verifier and report.",
        discussion: """
        Loads every program into the running kernel, which runs its verifier, then unloads it: nothing \
        stays loaded. Per program: accepted, with the instructions the verifier processed and the \
        states it explored; or rejected, with the verifier's reason at the C source line it stopped \
        at (from the object's BTF line info) and the end of its log. The exit status is non-zero when \
        a program is rejected. Needs root, or CAP_BPF with CAP_PERFMON for tracing programs.
        A gadget folder is built first for this host's architecture (cache as usual, no image kept). \
        An image (NAME[:TAG] as 'ig image list' shows it, in ig's store or --oci-layout DIR) gives its \
        eBPF layer for this host's architecture.
        """
    )

    @Argument(help: ArgumentHelp("A BPF object (.bpf.o), a gadget folder, or an image in ig's store.", valueName: "object|dir|image"))
    var path: String

    @Option(help: ArgumentHelp("Read an image from this OCI image layout instead of ig's store.", valueName: "dir"))
    var ociLayout: String?

    @OptionGroup(title: "Toolchain") var toolchain: ToolchainOptions

    @Flag(help: "Print the verifier's log tail of rejected programs too.")
    var log = false

    @OptionGroup(title: "Output") var output: OutputOptions

    func run() async throws {
        let url = URL(fileURLWithPath: path)
        var isDirectory: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory)
        if !exists && ImageTarget.isOnlyAPath(path) {
            Terminal.writeError("error: \(Terminal.escape(path)) does not exist: give a .bpf.o object, a gadget folder or an image (NAME[:TAG]) in ig's store or --oci-layout DIR\n")
            throw ExitCode.failure
        }
        let result: VerifiedObject
        do {
            if !exists {
                result = try verifyImage(ImageReference(parsing: path))
            } else {
                result = isDirectory.boolValue ? try await buildAndVerify(url) : VerifiedObject(object: url.path, report: try BPFVerifier.load(url))
            }
        } catch let error as ExitCode {
            throw error
        } catch {
            Terminal.error(error)
            throw ExitCode.failure
        }
        if output.json {
            print(try JSONOutput.encode(result))
        } else {
            print(VerifierText.render(result.report, log: log, sourceFolder: isDirectory.boolValue ? path : nil), terminator: "")
        }
        if !result.report.allAccepted { throw ExitCode.failure }
    }

    /// Loads the image's eBPF layer for this host's arch (digest checked), from a temporary file.
    func verifyImage(_ reference: ImageReference) throws -> VerifiedObject {
        guard let host = Architecture.host else {
            throw ValidationError("this host's architecture is neither amd64 nor arm64: no layer of the image can load here")
        }
        let bytes = try ImageInspector.object(reference, store: ImageTarget.store(layout: ociLayout), arch: host)
        let work = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent(AbandonedWorkFolders.newName())
        defer { try? FileManager.default.removeItem(at: work) }
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        let object = work.appendingPathComponent("\(host.rawValue).bpf.o")
        try bytes.write(to: object)
        return VerifiedObject(object: nil, image: "\(reference)", report: try BPFVerifier.load(object))
    }

    /// Builds the gadget for the host (its object kept in a temporary folder) and loads that object.
    func buildAndVerify(_ folder: URL) async throws -> VerifiedObject {
        guard let host = Architecture.host else {
            throw ValidationError("this host's architecture is neither amd64 nor arm64: there is no object to load")
        }
        // Named as a build's work folder: what a killed verify leaves, the next build removes.
        let work = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent(AbandonedWorkFolders.newName())
        defer { try? FileManager.default.removeItem(at: work) }
        let request = BuildRequest(gadgetFolder: folder.path, architectures: [host], toolchain: .auto,
                                   includeDirectories: toolchain.usableIncludeDirectories,
                                   outputDirectory: work.appendingPathComponent("objects").path, ociLayout: work.appendingPathComponent("layout").path,
                                   verify: false, validateMetadata: false, useCache: true, container: ContainerSettings())
        let driver = BuildDriver(observer: TerminalObserver(quiet: output.json))
        let outcome = try await Interruption.run { () async -> Result<BuildOutcome, Error> in
            do { return .success(try await driver.build(request)) } catch { return .failure(error) }
        }.get()
        guard let object = outcome.architectures.first(where: { $0.arch == host })?.object else {
            throw ValidationError("\(folder.lastPathComponent) has no eBPF program for \(host): nothing to verify")
        }
        return VerifiedObject(object: nil, report: try BPFVerifier.load(URL(fileURLWithPath: object)))
    }
}

/// `verify --json`: the object loaded (nil when gadgetc built it or took it from an image), the
/// image it came from, and the verifier's report.
struct VerifiedObject: Encodable {
    var object: String?
    var image: String?
    var report: VerifierReport

    init(object: String?, image: String? = nil, report: VerifierReport) {
        self.object = object
        self.image = image
        self.report = report
    }
}

/// The verifier's report as lines: one per program, rejected ones as `file:line: the verifier rejected …`.
enum VerifierText {
    /// `sourceFolder`: where the gadget's sources are, so that a rejection names the file as the user has it.
    static func render(_ report: VerifierReport, log: Bool = false, sourceFolder: String? = nil) -> String {
        var text = ""
        for name in report.programs.keys.sorted() {
            switch report.programs[name]! {
            case .accepted(let processed, let states, let peak):
                var facts: [String] = []
                if let processed { facts.append("\(processed) instructions processed") }
                if let states { facts.append("\(states) state\(states == 1 ? "" : "s")" + (peak.map { " (peak \($0))" } ?? "")) }
                text += "\(name): accepted" + (facts.isEmpty ? "" : ", " + facts.joined(separator: ", ")) + "\n"
            case .rejected(let reason, let tail, let location):
                let place = location.map { "\(userPath($0.file, in: sourceFolder)):\($0.line): " } ?? ""
                let complaint = location.map { reason.replacingOccurrences(of: " (at \($0.file):\($0.line))", with: "") } ?? reason
                text += "\(place)the verifier rejected \(name): \(complaint)\n"
                if let statement = location?.text { text += "    \(statement)\n" }
                if log { text += tail.map { "  | \($0)\n" }.joined() }
            case .notLoaded(let reason):
                text += "\(name): not loaded (\(reason))\n"
            }
        }
        if let failure = report.objectFailure { text += "the object failed to load: \(failure)\n" }
        return text
    }

    /// The line info names sources as ig's builder saw them (`/work/program.bpf.c`, or a bare name):
    /// the file of that name in the gadget folder when there is one.
    static func userPath(_ file: String, in folder: String?) -> String {
        guard let folder else { return file }
        let relative = file.hasPrefix("/work/") ? String(file.dropFirst("/work/".count)) : file
        let candidate = (folder.hasSuffix("/") ? folder : folder + "/") + relative  // as the user wrote the folder
        return !relative.hasPrefix("/") && FileManager.default.fileExists(atPath: candidate) ? Terminal.escape(candidate) : file
    }
}
