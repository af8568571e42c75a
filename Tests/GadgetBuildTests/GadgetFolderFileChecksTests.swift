import Foundation
import Testing
@testable import GadgetBuild

/// Every file a build takes from the gadget folder resolves inside it and is a regular file, checked
/// with lstat/stat before anything opens it (review F6, F16).
@Suite struct GadgetFolderFileChecksTests {
    /// A gadget folder (program.bpf.c, gadget.yaml) beside an `outside` folder with a secret file.
    func makeGadget() throws -> (root: URL, outside: URL) {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("gadgetc-checks-\(UUID().uuidString)")
        let root = base.appendingPathComponent("gadget")
        let outside = base.appendingPathComponent("outside")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: outside, withIntermediateDirectories: true)
        try "int x;\n".write(to: root.appendingPathComponent("program.bpf.c"), atomically: true, encoding: .utf8)
        try "name: g\n".write(to: root.appendingPathComponent("gadget.yaml"), atomically: true, encoding: .utf8)
        try "SECRET\n".write(to: outside.appendingPathComponent("secret.bpf.c"), atomically: true, encoding: .utf8)
        return (root, outside)
    }

    func link(_ root: URL, _ name: String, to target: String) throws {
        try FileManager.default.createSymbolicLink(atPath: root.appendingPathComponent(name).path, withDestinationPath: target)
    }

    func fifo(_ root: URL, _ name: String) throws {
        try #require(mkfifo(root.appendingPathComponent(name).path, 0o644) == 0)
    }

    func failure(_ root: URL, buildFile: String? = nil) -> MetadataError? {
        do {
            _ = try GadgetFolder(folder: root.path, buildFilePath: buildFile)
            return nil
        } catch {
            return error as? MetadataError
        }
    }

    @Test func siblingSourceLinkedOutOfTheFolderIsRejected() throws {
        let (root, outside) = try makeGadget()
        try link(root, "zz.bpf.c", to: outside.appendingPathComponent("secret.bpf.c").path)
        let error = try #require(failure(root))
        #expect(error == .symlinkLeavesGadget(file: "zz.bpf.c", target: ResolvedPath(outside.path).path + "/secret.bpf.c"))
        #expect(!error.description.contains("SECRET"))
    }

    @Test func siblingLinkedOutThroughARelativePathIsRejected() throws {
        let (root, _) = try makeGadget()
        try link(root, "zz.bpf.c", to: "../outside/secret.bpf.c")
        guard case .symlinkLeavesGadget(let file, _) = try #require(failure(root)) else { Issue.record("wrong error"); return }
        #expect(file == "zz.bpf.c")
    }

    @Test func danglingSiblingLinkIsRejected() throws {
        let (root, _) = try makeGadget()
        try link(root, "zz.bpf.c", to: "/nonexistent/gadgetc/zz.bpf.c")
        #expect(failure(root) == .danglingSymlink(file: "zz.bpf.c", target: "/nonexistent/gadgetc/zz.bpf.c"))
    }

    @Test func linksInsideTheFolderStayFine() throws {
        let (root, _) = try makeGadget()
        try FileManager.default.createDirectory(at: root.appendingPathComponent("src"), withIntermediateDirectories: true)
        try "int y;\n".write(to: root.appendingPathComponent("src/real.c"), atomically: true, encoding: .utf8)
        try link(root, "helper.bpf.c", to: "src/real.c")
        try FileManager.default.moveItem(at: root.appendingPathComponent("gadget.yaml"), to: root.appendingPathComponent("real.yaml"))
        try link(root, "gadget.yaml", to: "real.yaml")
        let folder = try GadgetFolder(folder: root.path)
        #expect(folder.ebpfSources == ["program.bpf.c", "helper.bpf.c"])
        #expect(folder.metadata?.lastPathComponent == "gadget.yaml")
    }

    @Test func metadataLinkedOutWithoutBuildYAMLNamesTheLinkNotBuildYAML() throws {
        let (root, outside) = try makeGadget()
        try FileManager.default.removeItem(at: root.appendingPathComponent("gadget.yaml"))
        try "name: outside\n".write(to: outside.appendingPathComponent("gadget.yaml"), atomically: true, encoding: .utf8)
        try link(root, "gadget.yaml", to: outside.appendingPathComponent("gadget.yaml").path)
        let error = try #require(failure(root))
        #expect(error == .symlinkLeavesGadget(file: "gadget.yaml", target: ResolvedPath(outside.path).path + "/gadget.yaml"))
        #expect(!error.description.contains("build.yaml"))
    }

    @Test func mainSourceLinkedOutWithoutBuildYAMLNamesTheLink() throws {
        let (root, outside) = try makeGadget()
        try FileManager.default.removeItem(at: root.appendingPathComponent("program.bpf.c"))
        try link(root, "program.bpf.c", to: outside.appendingPathComponent("secret.bpf.c").path)
        guard case .symlinkLeavesGadget(let file, _) = try #require(failure(root)) else { Issue.record("wrong error"); return }
        #expect(file == "program.bpf.c")
    }

    @Test func danglingMetadataLinkOutOfTheFolderIsRejected() throws {
        let (root, _) = try makeGadget()
        try FileManager.default.removeItem(at: root.appendingPathComponent("gadget.yaml"))
        try link(root, "gadget.yaml", to: "/nonexistent/gadgetc/gadget.yaml")
        #expect(failure(root) == .danglingSymlink(file: "gadget.yaml", target: "/nonexistent/gadgetc/gadget.yaml"))
    }

    @Test func buildYAMLLinkedOutIsRejected() throws {
        let (root, outside) = try makeGadget()
        try "ebpfsource: program.bpf.c\n".write(to: outside.appendingPathComponent("build.yaml"), atomically: true, encoding: .utf8)
        try link(root, "build.yaml", to: outside.appendingPathComponent("build.yaml").path)
        guard case .symlinkLeavesGadget(let file, _) = try #require(failure(root)) else { Issue.record("wrong error"); return }
        #expect(file == "build.yaml")
    }

    @Test func buildYAMLEntryLinkedOutNamesTheEntry() throws {
        let (root, outside) = try makeGadget()
        try "metadata: meta.yaml\n".write(to: root.appendingPathComponent("build.yaml"), atomically: true, encoding: .utf8)
        try link(root, "meta.yaml", to: outside.appendingPathComponent("secret.bpf.c").path)
        guard case .symlinkLeavesGadget(let file, _) = try #require(failure(root)) else { Issue.record("wrong error"); return }
        #expect(file == "build.yaml: 'metadata: meta.yaml'")
    }

    @Test func fifoSourceIsRefusedWithoutOpeningIt() throws {
        let (root, _) = try makeGadget()
        try fifo(root, "zz.bpf.c")
        #expect(failure(root) == .notARegularFile(file: "zz.bpf.c", kind: "a FIFO (named pipe)",
                                                  remedy: "every *.bpf.c of the folder is compiled; rename it or replace it with a C source file"))
        try FileManager.default.removeItem(at: root.appendingPathComponent("program.bpf.c"))
        try fifo(root, "program.bpf.c")
        guard case .notARegularFile(let file, let kind, _) = try #require(failure(root)) else { Issue.record("wrong error"); return }
        #expect(file == "program.bpf.c" && kind == "a FIFO (named pipe)")
    }

    @Test func fifoOrDirectoryMetadataAndBuildFileAreRefused() throws {
        let (root, _) = try makeGadget()
        try FileManager.default.removeItem(at: root.appendingPathComponent("gadget.yaml"))
        try fifo(root, "gadget.yaml")
        guard case .notARegularFile(let file, let kind, _) = try #require(failure(root)) else { Issue.record("wrong error"); return }
        #expect(file == "gadget.yaml" && kind == "a FIFO (named pipe)")

        try FileManager.default.removeItem(at: root.appendingPathComponent("gadget.yaml"))
        try FileManager.default.createDirectory(at: root.appendingPathComponent("gadget.yaml"), withIntermediateDirectories: true)
        guard case .notARegularFile(_, let kind2, _) = try #require(failure(root)) else { Issue.record("wrong error"); return }
        #expect(kind2 == "a directory")

        try FileManager.default.createDirectory(at: root.appendingPathComponent("build.yaml"), withIntermediateDirectories: true)
        guard case .notARegularFile(let file3, let kind3, _) = try #require(failure(root)) else { Issue.record("wrong error"); return }
        #expect(file3 == "build.yaml" && kind3 == "a directory")
        try FileManager.default.removeItem(at: root.appendingPathComponent("build.yaml"))
        try fifo(root, "build.yaml")
        guard case .notARegularFile(let file4, let kind4, _) = try #require(failure(root)) else { Issue.record("wrong error"); return }
        #expect(file4 == "build.yaml" && kind4 == "a FIFO (named pipe)")
    }

    @Test func buildFileOptionMustBeARegularFile() throws {
        let (root, _) = try makeGadget()
        #expect(failure(root, buildFile: "/dev/zero") == .notARegularFile(file: "-f /dev/zero", kind: "a character device",
                                                                          remedy: "pass the path of a build.yaml file"))
        #expect(failure(root, buildFile: "/tmp")?.description.contains("is a directory") == true)
    }

    @Test func sourceNamedByBuildYAMLThatIsADirectory() throws {
        let (root, _) = try makeGadget()
        try FileManager.default.createDirectory(at: root.appendingPathComponent("adir"), withIntermediateDirectories: true)
        try "ebpfsource: adir\n".write(to: root.appendingPathComponent("build.yaml"), atomically: true, encoding: .utf8)
        let error = try #require(failure(root))
        #expect(error == .notARegularFile(file: "build.yaml: 'ebpfsource: adir'", kind: "a directory", remedy: "name a C source file"))
    }

    @Test func buildYAMLThatIsNotUTF8SaysSo() throws {
        let (root, _) = try makeGadget()
        try Data([0x65, 0x62, 0xFF, 0x0A]).write(to: root.appendingPathComponent("build.yaml"))
        #expect(failure(root) == .invalidYAML(file: "build.yaml", reason: "not UTF-8 text"))
    }

    @Test func fifoHeaderIsNotOpenedForTheVmlinuxScan() throws {
        let (root, _) = try makeGadget()
        try fifo(root, "pipe.h")
        _ = try GadgetFolder(folder: root.path)  // returns: the FIFO is never opened
    }

    @Test func aFileGivenAsTheFolderIsNotCalledMissing() throws {
        let (root, _) = try makeGadget()
        let file = root.appendingPathComponent("program.bpf.c").path
        #expect(failure(URL(fileURLWithPath: file)) == .notAFolder(path: file, kind: "a regular file"))
    }
}

@Suite struct ResolvedPathTests {
    @Test func followsLinksAndKeepsAMissingTarget() throws {
        let base = ResolvedPath(FileManager.default.temporaryDirectory.path).path + "/gadgetc-resolve-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: base + "/a", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: base + "/a/in", withDestinationPath: "../b/file")
        try FileManager.default.createSymbolicLink(atPath: base + "/b", withDestinationPath: "a")
        try FileManager.default.createSymbolicLink(atPath: base + "/a/out", withDestinationPath: "/nonexistent/x")
        try FileManager.default.createSymbolicLink(atPath: base + "/a/loop", withDestinationPath: "loop")
        let resolved = ResolvedPath(base + "/a/in")
        #expect(resolved.path == base + "/a/file" && !resolved.exists && resolved.followedLink)
        let out = ResolvedPath(base + "/a/out")
        #expect(out.path == "/nonexistent/x" && !out.exists)
        #expect(!ResolvedPath(base + "/a/loop").exists)
        #expect(ResolvedPath(base + "/a").isInside(ResolvedPath(base)))
        #expect(!ResolvedPath(base + "2").isInside(ResolvedPath(base)))
    }
}
