import Foundation
import Testing
@testable import GadgetBuild

/// Work folders a killed build left in $TMPDIR go on the next build; nothing else does (review F11).
@Suite struct AbandonedWorkFoldersTests {
    @Test func removesOnlyDeadBuildsFolders() throws {
        let tmp = try TemporaryFolder("workfolders")
        defer { tmp.remove() }
        let dead = try deadProcessID()
        let abandoned = "gadgetc-build-\(dead)-123"
        try tmp.write("\(abandoned)/amd64/amd64.bpf.o")
        let kept = [
            "gadgetc-build-\(getpid())-1",   // this process's own build
            "gadgetc-build-1-2",              // a live process
            "gadgetc-build-x-3", "gadgetc-build-\(dead)", "gadgetc-build-\(dead)-4-5", "gadgetc-build-\(dead)-",
            "other-\(dead)-6",
        ]
        for name in kept { try tmp.write("\(name)/file") }
        // A file, and a link to a folder elsewhere, with a dead build's name.
        try tmp.write("gadgetc-build-\(dead)-7")
        let outside = try TemporaryFolder("workfolders-outside")
        defer { outside.remove() }
        try outside.write("precious")
        try FileManager.default.createSymbolicLink(atPath: tmp.url.appendingPathComponent("gadgetc-build-\(dead)-8").path,
                                                   withDestinationPath: outside.path)

        let removed = AbandonedWorkFolders.remove(in: tmp.url)
        #expect(removed == [tmp.url.appendingPathComponent(abandoned).path])
        #expect(!tmp.exists(abandoned))
        for name in kept { #expect(tmp.exists("\(name)/file"), "\(name)") }
        #expect(tmp.exists("gadgetc-build-\(dead)-7") && tmp.exists("gadgetc-build-\(dead)-8") && outside.exists("precious"))
    }

    @Test func newNamesAreRecognised() {
        #expect(AbandonedWorkFolders.writer(of: AbandonedWorkFolders.newName()) == getpid())
    }
}
