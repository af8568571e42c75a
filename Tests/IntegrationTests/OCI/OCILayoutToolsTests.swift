import Foundation
import GadgetBuild
import Testing

/// Writes gadget images with the public API and reads them back with the real skopeo and umoci,
/// which know nothing about gadgetc: if they accept the layout, so will ig and registries.
@Suite("OCI layouts read by skopeo and umoci",
       .enabled(if: OCITools.available, "needs /usr/bin/skopeo and /usr/bin/umoci"))
struct OCILayoutToolsTests {
    @Test func standaloneLayoutIsReadAndCopiedBySkopeoAndUmoci() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let layout = OCIImageStore(root: scratch.url("layout"))
        let full = try layout.add(try scratch.content(withMetadata: true), as: try ImageReference(parsing: "trace_open:v1"))
        let plain = try layout.add(try scratch.content(withMetadata: false), as: try ImageReference(parsing: "localhost:5000/me/plain"))

        for image in [full, plain] {
            let ref = "oci:\(layout.root.path):\(image.reference)"
            // The tag resolves to exactly the index we wrote.
            let raw = try OCITools.run("/usr/bin/skopeo", "inspect", "--raw", ref)
            #expect(raw == (try scratch.blob(image.indexDigest, in: layout)))
            let index = try JSONSerialization.jsonObject(with: raw) as? [String: Any]
            #expect(index?["mediaType"] as? String == "application/vnd.oci.image.index.v1+json")

            // Copying every architecture makes skopeo fetch and verify every blob's digest.
            let copy = scratch.url("copy-\(image.indexDigest.suffix(8))")
            try OCITools.run("/usr/bin/skopeo", "copy", "--all", "--quiet", ref, "dir:\(copy.path)")
            for (arch, manifestDigest) in image.manifests {
                let manifest = try Data(contentsOf: copy.appendingPathComponent(
                    String(manifestDigest.dropFirst("sha256:".count)) + ".manifest.json"))
                #expect(manifest == (try scratch.blob(manifestDigest, in: layout)))
                let object = try #require(try JSONSerialization.jsonObject(with: manifest) as? [String: Any])
                #expect(object["artifactType"] as? String == "application/vnd.gadget.v1+binary")
                let layers = try #require(object["layers"] as? [[String: Any]])
                let program = try #require(layers.first?["digest"] as? String)
                #expect(try Data(contentsOf: copy.appendingPathComponent(String(program.dropFirst("sha256:".count))))
                    == Data("\u{7f}ELF \(arch) dummy".utf8))
            }
        }

        // umoci lists the tags, and its garbage collector, which walks every descriptor from
        // index.json, finds every blob reachable: it removes only the stray one planted here.
        #expect(Set(try OCITools.lines("/usr/bin/umoci", "ls", "--layout", layout.root.path))
            == [full.reference.description, plain.reference.description])
        let blobs = try scratch.blobNames(in: layout)
        let stray = Data("stray".utf8)
        try stray.write(to: layout.root.appendingPathComponent("blobs/sha256/" + Self.sha256(stray)))
        try OCITools.run("/usr/bin/umoci", "gc", "--layout", layout.root.path)
        #expect(try scratch.blobNames(in: layout) == blobs)
    }

    @Test func igStoreUnderHomeIsReadBySkopeoAfterRetagging() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let store = OCIImageStore.defaultStore(environment: ["HOME": scratch.url("home").path], isRoot: false)
        #expect(store.root.path == scratch.url("home/.ig/oci-store").path)
        let reference = try ImageReference(parsing: "mygadget:dev")
        let old = try store.add(try scratch.content(withMetadata: true, created: 1_000), as: reference)
        let new = try store.add(try scratch.content(withMetadata: true, created: 2_000), as: reference)
        #expect(old.indexDigest != new.indexDigest)

        let raw = try OCITools.run("/usr/bin/skopeo", "inspect", "--raw", "oci:\(store.root.path):\(reference)")
        #expect(raw == (try scratch.blob(new.indexDigest, in: store)))
        #expect(try OCITools.lines("/usr/bin/umoci", "ls", "--layout", store.root.path) == [reference.description])
        #expect(try store.resolve(reference) == new.indexDigest)
    }

    @Test func eightConcurrentWritersLeaveAValidIndexWithEveryTag() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let store = OCIImageStore(root: scratch.url("store"))
        let contents = try (0..<8).map { try scratch.content(withMetadata: $0.isMultiple(of: 2), created: 1_700_000_000 + $0) }
        let references = try (0..<8).map { try ImageReference(parsing: "writer-\($0):v\($0)") }

        let failures = Failures()
        let start = DispatchSemaphore(value: 0)
        let group = DispatchGroup()
        for i in 0..<8 {
            group.enter()
            let (content, reference) = (contents[i], references[i])
            Thread {
                start.wait()
                do { _ = try store.add(content, as: reference) } catch { failures.append("\(reference): \(error)") }
                group.leave()
            }.start()
        }
        for _ in 0..<8 { start.signal() }
        group.wait()
        #expect(failures.all.isEmpty, "\(failures.all)")

        #expect(Set(try OCITools.lines("/usr/bin/umoci", "ls", "--layout", store.root.path)) == Set(references.map(\.description)))
        for reference in references {
            let digest = try #require(try store.resolve(reference))
            let raw = try OCITools.run("/usr/bin/skopeo", "inspect", "--raw", "oci:\(store.root.path):\(reference)")
            #expect("sha256:" + Self.sha256(raw) == digest)
        }
        let leftovers = try FileManager.default.subpathsOfDirectory(atPath: store.root.path).filter { $0.contains(".tmp-") }
        #expect(leftovers.isEmpty)
    }

    static func sha256(_ data: Data) -> String {
        let hex = try? OCITools.run("/usr/bin/sha256sum", input: data)
        return String(decoding: hex ?? Data(), as: UTF8.self).split(separator: " ").first.map(String.init) ?? ""
    }
}

/// Dummy gadget inputs in a temporary folder.
private struct Scratch {
    let root: URL

    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("gadgetc-oci-it-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        for arch in ["amd64", "arm64"] {
            try Data("\u{7f}ELF \(arch) dummy".utf8).write(to: url("\(arch).bpf.o"))
        }
        try Data("\u{0}asm dummy".utf8).write(to: url("program.wasm"))
    }

    func url(_ path: String) -> URL { root.appendingPathComponent(path) }

    func remove() { try? FileManager.default.removeItem(at: root) }

    func content(withMetadata: Bool, created: Int = 1_700_000_000) throws -> GadgetImageContent {
        let yaml = """
            name: trace open
            description: Trace open & openat
            homepageURL: https://inspektor-gadget.io/
            documentationURL: https://inspektor-gadget.io/docs
            sourceURL: https://github.com/inspektor-gadget/inspektor-gadget
            """
        return try GadgetImageContent(
            programs: ["amd64": url("amd64.bpf.o"), "arm64": url("arm64.bpf.o")],
            wasm: withMetadata ? url("program.wasm") : nil,
            metadata: withMetadata ? Data(yaml.utf8) : nil,
            created: Date(timeIntervalSince1970: TimeInterval(created)))
    }

    func blob(_ digest: String, in store: OCIImageStore) throws -> Data {
        try Data(contentsOf: store.root.appendingPathComponent("blobs/sha256/" + digest.dropFirst("sha256:".count)))
    }

    func blobNames(in store: OCIImageStore) throws -> Set<String> {
        Set(try FileManager.default.contentsOfDirectory(atPath: store.root.appendingPathComponent("blobs/sha256").path))
    }
}

private final class Failures: @unchecked Sendable {
    private let lock = NSLock()
    private var failures: [String] = []
    func append(_ failure: String) { lock.lock(); failures.append(failure); lock.unlock() }
    var all: [String] { lock.lock(); defer { lock.unlock() }; return failures }
}

enum OCITools {
    static var available: Bool {
        FileManager.default.isExecutableFile(atPath: "/usr/bin/skopeo")
            && FileManager.default.isExecutableFile(atPath: "/usr/bin/umoci")
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Runs a tool and returns its standard output; a non-zero exit is an error with its stderr.
    @discardableResult
    static func run(_ tool: String, _ arguments: String..., input: Data? = nil) throws -> Data {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        let output = Pipe(), errors = Pipe(), stdin = Pipe()
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = stdin
        try process.run()
        if let input { stdin.fileHandleForWriting.write(input) }
        try stdin.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let message = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failure(description: "\(tool) \(arguments.joined(separator: " ")) exited \(process.terminationStatus): "
                + String(decoding: message, as: UTF8.self))
        }
        return data
    }

    static func lines(_ tool: String, _ arguments: String...) throws -> [String] {
        let run = try Fixtures.runBlocking(tool, arguments)
        guard run.status == 0 else {
            throw Failure(description: "\(tool) \(arguments.joined(separator: " ")) exited \(run.status)")
        }
        return String(decoding: run.output, as: UTF8.self).split(separator: "\n").map(String.init)
    }
}
