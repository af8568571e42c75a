import Foundation
import Testing
@testable import GadgetBuild

/// Cache files are 0644 and cache folders 0755 whatever the umask (review F19; the umask-000 case
/// runs the real binary in CacheModeIntegrationTests).
@Suite struct CacheFileModeTests {
    @Test func atomicWritesAre0644() throws {
        let tmp = try TemporaryFolder("modes")
        defer { tmp.remove() }
        let file = tmp.url.appendingPathComponent("entry")
        try AtomicFile.write(Data("one".utf8), to: file)
        try AtomicFile.write(Data("two".utf8), to: file)
        let attributes = try FileManager.default.attributesOfItem(atPath: file.path)
        #expect((attributes[.posixPermissions] as? Int) == 0o644)
        #expect(try String(contentsOf: file, encoding: .utf8) == "two")
        #expect(try FileManager.default.contentsOfDirectory(atPath: tmp.path) == ["entry"], "no temporary left")
    }

    @Test func aFailedWriteSaysWhatAndWhere() throws {
        let tmp = try TemporaryFolder("modes-fail")
        defer { tmp.remove() }
        let target = tmp.url.appendingPathComponent("missing/entry")
        let error = #expect(throws: FileWriteError.self) { try AtomicFile.write(Data(), to: target) }
        #expect(error?.description.hasPrefix("cannot create \(tmp.path)/missing/.entry.tmp-") == true, "\(String(describing: error))")
        #expect(error?.description.hasSuffix(": No such file or directory") == true)
        #expect(error?.localizedDescription == error?.description)
    }

    @Test func cacheFoldersAre0755WithTheirFanOut() throws {
        let tmp = try TemporaryFolder("modes-folders")
        defer { tmp.remove() }
        let objects = try CacheLocation(root: tmp.url.appendingPathComponent("a/cache")).makeFolder("objects")
        for path in [tmp.path + "/a", tmp.path + "/a/cache", objects.path, objects.path + "/00", objects.path + "/ff"] {
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            #expect((attributes[.posixPermissions] as? Int) == 0o755, "\(path)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: objects.path).count == 256)
    }
}
