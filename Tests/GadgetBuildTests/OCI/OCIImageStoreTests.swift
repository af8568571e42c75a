import Foundation
import Testing
@testable import GadgetBuild

@Suite("OCI image store")
struct OCIImageStoreTests {
    @Test func defaultRootFollowsIg() {
        #expect(OCIImageStore.defaultRoot(environment: ["HOME": "/home/u"], isRoot: true).path == "/var/lib/ig/oci-store")
        #expect(OCIImageStore.defaultRoot(environment: ["HOME": "/home/u"], isRoot: false).path == "/home/u/.ig/oci-store")
        #expect(OCIImageStore.defaultRoot(environment: [:], isRoot: false).path == "/var/lib/ig/oci-store")
    }

    @Test func addWritesALayoutAndTagsTheIndex() throws {
        let scratch = try OCIScratch()
        defer { scratch.remove() }
        let root = scratch.root.appendingPathComponent("new/layout")
        let store = OCIImageStore(root: root)
        let reference = try ImageReference(parsing: "trace_open:v1")
        let built = try store.add(try scratch.content(), as: reference)

        #expect(try OCIScratch.json(root.appendingPathComponent("oci-layout")) == .object([
            OCIJSONMember("imageLayoutVersion", .string("1.0.0")),
        ]))
        let entries = try #require(try OCIScratch.json(root.appendingPathComponent("index.json"))["manifests"]?.arrayValue)
        #expect(entries.count == 1)
        #expect(entries[0]["digest"]?.stringValue == built.indexDigest)
        #expect(entries[0]["mediaType"] == .string("application/vnd.oci.image.index.v1+json"))
        #expect(entries[0]["annotations"]?["org.opencontainers.image.ref.name"]
            == .string("ghcr.io/inspektor-gadget/gadget/trace_open:v1"))
        #expect(entries[0]["annotations"]?["org.opencontainers.image.created"] == .string("2023-11-14T22:13:20Z"))
        #expect(try store.resolve(reference) == built.indexDigest)
        #expect(try store.resolve(try ImageReference(parsing: "trace_open:v2")) == nil)
        #expect(try store.resolve(try ImageReference(parsing: "x@\(built.indexDigest)")) == built.indexDigest)
        #expect(built.description == "ghcr.io/inspektor-gadget/gadget/trace_open:v1@\(built.indexDigest)")

        // Every blob is stored under its own digest, nothing else is left in blobs/.
        let blobs = OCIScratch.files(under: root.appendingPathComponent("blobs"))
        #expect(blobs.count == 7, "yaml, wasm, 2 objects, 2 manifests, index, and no temporary files: \(blobs)")
        for name in blobs {
            let data = try Data(contentsOf: root.appendingPathComponent("blobs").appendingPathComponent(name))
            #expect("sha256/" + OCIBlob(data).encoded == name)
        }
    }

    @Test func retaggingReplacesTheEntryAndKeepsOthersUntouched() throws {
        let scratch = try OCIScratch()
        defer { scratch.remove() }
        let root = scratch.root.appendingPathComponent("store")
        try FileManager.default.createDirectory(at: root.appendingPathComponent("blobs/sha256"), withIntermediateDirectories: true)
        try Data(#"{"imageLayoutVersion":"1.0.0"}"#.utf8).write(to: root.appendingPathComponent("oci-layout"))
        // An index as ig/oras leave it: no mediaType member, an untagged entry, a foreign member.
        let foreign = #"{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:\#(String(repeating: "0", count: 64))","size":7,"platform":{"architecture":"amd64","os":"linux"}}"#
        let other = #"{"mediaType":"application/vnd.oci.image.index.v1+json","digest":"sha256:\#(String(repeating: "1", count: 64))","size":9,"annotations":{"org.opencontainers.image.ref.name":"ghcr.io/inspektor-gadget/gadget/other:latest"}}"#
        try Data(#"{"schemaVersion":2,"manifests":[\#(foreign),\#(other)],"x-extra":1.50}"#.utf8)
            .write(to: root.appendingPathComponent("index.json"))

        let store = OCIImageStore(root: root)
        let reference = try ImageReference(parsing: "mine")
        let first = try store.add(try scratch.content(), as: reference)
        let second = try store.add(try scratch.content(created: Date(timeIntervalSince1970: 1_800_000_000)), as: reference)
        #expect(first.indexDigest != second.indexDigest)
        #expect(try store.resolve(reference) == second.indexDigest)

        let text = try String(contentsOf: root.appendingPathComponent("index.json"), encoding: .utf8)
        #expect(text.hasPrefix(#"{"schemaVersion":2,"manifests":[\#(foreign),\#(other),{"#))
        #expect(text.hasSuffix(#"}],"x-extra":1.50}"#))
        let entries = try #require(try OCIScratch.json(root.appendingPathComponent("index.json"))["manifests"]?.arrayValue)
        #expect(entries.count == 3)
        #expect(entries.filter { $0["annotations"]?["org.opencontainers.image.ref.name"] == .string(reference.description) }
            .map { $0["digest"]?.stringValue } == [second.indexDigest])
    }

    @Test func sameContentAddedTwiceReusesBlobsAndGivesTheSameDigest() throws {
        let scratch = try OCIScratch()
        defer { scratch.remove() }
        let store = OCIImageStore(root: scratch.root.appendingPathComponent("layout"))
        let a = try store.add(try scratch.content(), as: try ImageReference(parsing: "a"))
        let blobs = OCIScratch.files(under: store.root)
        let b = try store.add(try scratch.content(), as: try ImageReference(parsing: "b"))
        #expect(a.indexDigest == b.indexDigest)
        #expect(a.manifests == b.manifests)
        #expect(OCIScratch.files(under: store.root) == blobs)
    }

    @Test func aMissingProgramFileTagsNothingAndWritesNothing() throws {
        let scratch = try OCIScratch()
        defer { scratch.remove() }
        let store = OCIImageStore(root: scratch.root.appendingPathComponent("layout"))
        let kept = try store.add(try scratch.content(), as: try ImageReference(parsing: "kept"))
        let before = OCIScratch.files(under: store.root)
        let index = try Data(contentsOf: store.root.appendingPathComponent("index.json"))

        var content = try scratch.content(created: Date(timeIntervalSince1970: 1))
        content.programs["arm64"] = scratch.root.appendingPathComponent("missing.bpf.o")
        #expect { try store.add(content, as: try ImageReference(parsing: "kept")) } throws: {
            ($0 as? OCIError)?.code == .unreadableInput
        }
        #expect(OCIScratch.files(under: store.root) == before)
        #expect(try Data(contentsOf: store.root.appendingPathComponent("index.json")) == index)
        #expect(try store.resolve(try ImageReference(parsing: "kept")) == kept.indexDigest)

        // Into a folder that does not exist yet: not even the folder appears.
        let fresh = OCIImageStore(root: scratch.root.appendingPathComponent("fresh"))
        #expect(throws: OCIError.self) { try fresh.add(content, as: try ImageReference(parsing: "x")) }
        #expect(!FileManager.default.fileExists(atPath: fresh.root.path))
    }

    @Test func aBlobThatCannotBeWrittenLeavesNoTemporaryFileAndTagsNothing() throws {
        let scratch = try OCIScratch()
        defer { scratch.remove() }
        let store = OCIImageStore(root: scratch.root.appendingPathComponent("layout"))
        _ = try store.add(try scratch.content(), as: try ImageReference(parsing: "first"))
        let index = try Data(contentsOf: store.root.appendingPathComponent("index.json"))

        // Occupy the path of the new index blob with a folder, so that its rename fails.
        let content = try scratch.content(created: Date(timeIntervalSince1970: 42))
        let blocked = try OCIGadgetImage(content).index
        let blockedPath = store.root.appendingPathComponent("blobs/sha256/" + blocked.encoded)
        try FileManager.default.createDirectory(at: blockedPath.appendingPathComponent("occupied"), withIntermediateDirectories: true)

        #expect { try store.add(content, as: try ImageReference(parsing: "second")) } throws: {
            guard let error = $0 as? OCIError else { return false }
            return error.code == .writeFailed && error.description.contains(blocked.encoded)
        }
        #expect(try Data(contentsOf: store.root.appendingPathComponent("index.json")) == index)
        #expect(try store.resolve(try ImageReference(parsing: "second")) == nil)
        let leftovers = OCIScratch.files(under: store.root).filter { $0.contains(".tmp-") }
        #expect(leftovers.isEmpty, "temporary files left behind: \(leftovers)")
    }

    @Test func aNonEmptyFolderThatIsNotALayoutIsRefused() throws {
        let scratch = try OCIScratch()
        defer { scratch.remove() }
        let root = scratch.root.appendingPathComponent("notes")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        try Data("hello".utf8).write(to: root.appendingPathComponent("README"))
        #expect { try OCIImageStore(root: root).add(try scratch.content(), as: try ImageReference(parsing: "x")) }
            throws: { ($0 as? OCIError)?.code == .notAnImageLayout }
        #expect(OCIScratch.files(under: root) == ["README"], "nothing is added to a folder that is refused")

        let empty = scratch.root.appendingPathComponent("empty")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        #expect(throws: Never.self) { try OCIImageStore(root: empty).add(try scratch.content(), as: try ImageReference(parsing: "x")) }

        let badLayout = scratch.root.appendingPathComponent("bad")
        try FileManager.default.createDirectory(at: badLayout, withIntermediateDirectories: true)
        try Data(#"{"imageLayoutVersion":"2.0.0"}"#.utf8).write(to: badLayout.appendingPathComponent("oci-layout"))
        #expect { try OCIImageStore(root: badLayout).add(try scratch.content(), as: try ImageReference(parsing: "x")) }
            throws: { ($0 as? OCIError)?.code == .corruptImageLayout }
    }

    @Test func aDigestReferenceCannotBeTagged() throws {
        let scratch = try OCIScratch()
        defer { scratch.remove() }
        let reference = try ImageReference(parsing: "foo@sha256:" + String(repeating: "a", count: 64))
        #expect { try OCIImageStore(root: scratch.root.appendingPathComponent("l")).add(try scratch.content(), as: reference) }
            throws: { ($0 as? OCIError)?.code == .digestReferenceNotTaggable }
    }

    @Test func eightConcurrentWritersKeepEveryTag() throws {
        let scratch = try OCIScratch()
        defer { scratch.remove() }
        let store = OCIImageStore(root: scratch.root.appendingPathComponent("store"))
        let results = try OCIImageStoreTests.addConcurrently(count: 8, to: store, scratch: scratch)

        let entries = try #require(try OCIScratch.json(store.root.appendingPathComponent("index.json"))["manifests"]?.arrayValue)
        let names = Set(entries.compactMap { $0["annotations"]?["org.opencontainers.image.ref.name"]?.stringValue })
        #expect(names == Set((0..<8).map { "ghcr.io/inspektor-gadget/gadget/concurrent-\($0):latest" }))
        for (i, digest) in results.enumerated() {
            #expect(try store.resolve(try ImageReference(parsing: "concurrent-\(i)")) == digest)
        }
        #expect(OCIScratch.files(under: store.root).filter { $0.contains(".tmp-") }.isEmpty)
    }

    /// Runs `count` writers on their own threads, released together, each tagging its own name
    /// with its own creation date (so that indexes differ while objects are shared).
    static func addConcurrently(count: Int, to store: OCIImageStore, scratch: OCIScratch) throws -> [String] {
        let contents = try (0..<count).map { try scratch.content(created: Date(timeIntervalSince1970: Double(1_700_000_000 + $0))) }
        let outcomes = Outcomes(count: count)
        let start = DispatchSemaphore(value: 0)
        let group = DispatchGroup()
        for i in 0..<count {
            group.enter()
            let content = contents[i]
            let thread = Thread {
                start.wait()
                outcomes.set(i, Result { try store.add(content, as: try ImageReference(parsing: "concurrent-\(i)")).indexDigest })
                group.leave()
            }
            thread.start()
        }
        for _ in 0..<count { start.signal() }
        group.wait()
        return try outcomes.values().map { try $0.get() }
    }
}

/// Results written by several threads.
final class Outcomes: @unchecked Sendable {
    private let lock = NSLock()
    private var results: [Result<String, Error>?]

    init(count: Int) { results = Array(repeating: nil, count: count) }

    func set(_ i: Int, _ result: Result<String, Error>) {
        lock.lock(); defer { lock.unlock() }
        results[i] = result
    }

    func values() -> [Result<String, Error>] {
        lock.lock(); defer { lock.unlock() }
        return results.map { $0! }
    }
}
