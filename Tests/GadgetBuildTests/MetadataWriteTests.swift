import Foundation
import Testing
@testable import GadgetBuild

/// `--update-metadata`'s write of gadget.yaml (review F10): the target's real mode is kept, an in-folder
/// symlink is kept and its file updated, a link out of the folder or a dangling one is refused.
@Suite struct MetadataWriteTests {
    func folder() throws -> URL {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("gadgetc-write-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: base.appendingPathComponent("gadget"), withIntermediateDirectories: true)
        return base.appendingPathComponent("gadget")
    }

    func mode(_ path: String, follow: Bool = true) -> mode_t {
        var info = stat()
        _ = follow ? stat(path, &info) : lstat(path, &info)
        return info.st_mode
    }

    @Test func symlinkInsideTheFolderUpdatesItsTargetAndKeepsModes() throws {
        let root = try folder()
        let real = root.appendingPathComponent("real.yaml")
        try Data("name: old\n".utf8).write(to: real)
        #expect(chmod(real.path, 0o640) == 0)
        let link = root.appendingPathComponent("gadget.yaml")
        try FileManager.default.createSymbolicLink(atPath: link.path, withDestinationPath: "real.yaml")

        try MetadataUpdater.write(Data("name: new\n".utf8), to: link, ownerLike: nil)

        #expect(mode(link.path, follow: false) & S_IFMT == S_IFLNK, "the link is kept")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: link.path) == "real.yaml")
        #expect(try String(contentsOf: real, encoding: .utf8) == "name: new\n")
        #expect(mode(real.path) & 0o7777 == 0o640, "not the link's 0777")
        #expect(try FileManager.default.contentsOfDirectory(atPath: root.path).sorted() == ["gadget.yaml", "real.yaml"], "no temporary file left")
    }

    @Test func regularFileKeepsItsMode() throws {
        let root = try folder()
        let file = root.appendingPathComponent("gadget.yaml")
        try Data("name: old\n".utf8).write(to: file)
        #expect(chmod(file.path, 0o600) == 0)
        try MetadataUpdater.write(Data("name: new\n".utf8), to: file, ownerLike: nil)
        #expect(try String(contentsOf: file, encoding: .utf8) == "name: new\n")
        #expect(mode(file.path) & 0o7777 == 0o600)
    }

    @Test func newFileIsNotWorldWritable() throws {
        let root = try folder()
        let file = root.appendingPathComponent("gadget.yaml")
        try MetadataUpdater.write(Data("name: new\n".utf8), to: file, ownerLike: nil)
        #expect(mode(file.path) & 0o7777 == 0o666 & ~Self.umaskValue())
    }

    @Test func linkOutOfTheFolderIsRefusedAndTheOutsideFileUntouched() throws {
        let root = try folder()
        let outside = root.deletingLastPathComponent().appendingPathComponent("outside.yaml")
        try Data("name: outside\n".utf8).write(to: outside)
        let link = root.appendingPathComponent("gadget.yaml")
        try FileManager.default.createSymbolicLink(atPath: link.path, withDestinationPath: outside.path)
        #expect(throws: MetadataError.self) { try MetadataUpdater.write(Data("x: 1\n".utf8), to: link, ownerLike: nil) }
        #expect(try String(contentsOf: outside, encoding: .utf8) == "name: outside\n")
        #expect(mode(link.path, follow: false) & S_IFMT == S_IFLNK)
    }

    @Test func danglingLinkIsRefusedAndNotReplacedByA0777File() throws {
        let root = try folder()
        let link = root.appendingPathComponent("gadget.yaml")
        try FileManager.default.createSymbolicLink(atPath: link.path, withDestinationPath: "/nonexistent/gadgetc/gadget.yaml")
        #expect(throws: MetadataError.danglingSymlink(file: "gadget.yaml", target: "/nonexistent/gadgetc/gadget.yaml")) {
            try MetadataUpdater.write(Data("x: 1\n".utf8), to: link, ownerLike: nil)
        }
        #expect(mode(link.path, follow: false) & S_IFMT == S_IFLNK)
    }

    static func umaskValue() -> mode_t {
        // Read from /proc, never by setting it (tests run in parallel).
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("Umask:") } ?? "Umask: 0022"
        return mode_t(line.split(separator: "\t").last.flatMap { UInt32($0.trimmingCharacters(in: .whitespaces), radix: 8) } ?? 0o022)
    }
}
