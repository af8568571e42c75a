import Foundation
import Testing
@testable import GadgetBuild

/// `gadgetc cache prune` removes only what gadgetc wrote, never what a running build still needs,
/// and nothing at all from a folder gadgetc did not mark as its cache (review F8, F9).
@Suite struct CachePruneScopeTests {
    static let digest = String(repeating: "ab", count: 32)
    static let key = String(repeating: "c", count: 64)
    static let pch = String(repeating: "d", count: 24)

    /// A cache made by gadgetc with one entry of every kind, all of them an hour old.
    func gadgetcCache(_ label: String) throws -> (TemporaryFolder, CacheLocation) {
        let root = try TemporaryFolder(label)
        let location = CacheLocation(root: root.url)
        for part in CacheLayout.parts { _ = try location.makeFolder(part) }
        try root.write("objects/ab/\(Self.digest)", age: 3600)
        try root.write("records/cc/\(Self.key)", age: 3600)
        try root.write("pch/\(Self.pch)-amd64.pch", age: 3600)
        try root.write("vmlinux/0123456789abcdef/amd64/vmlinux.h", age: 3600)
        try root.write("probe/compilers.json", age: 3600)
        return (root, location)
    }

    @Test func removesGadgetcEntriesAndNothingElse() throws {
        let (root, location) = try gadgetcCache("scope")
        defer { root.remove() }
        // What a user or another tool keeps in the same folders (the review's F9 files among them).
        let foreign = [
            "records/projectA/db.lock", "records/projectA/taxes.txt", "probe/notes.txt", "objects/report.tmp-1",
            "objects/ab/notes", "objects/cd/\(Self.digest)",  // a digest in the wrong fan-out folder
            "objects/ab/\(Self.digest.uppercased())", "records/cc/\(Self.key).bak",
            "pch/a-amd64.pch.lock", "pch/\(Self.pch)-mips.pch", "pch/notes.pch",
            "vmlinux/notes/amd64/vmlinux.h", "vmlinux/0123456789abcdef/amd64/other.h", "vmlinux/0123456789abcdef/amd64/.other.h.tmp-1-1",
            ".hidden", "builds/mine.txt", "objects/ab/.notes.tmp-1-2",
        ]
        for path in foreign { try root.write(path, age: 7200) }
        // A link named like an entry, to a file outside the cache.
        let outside = try TemporaryFolder("outside")
        defer { outside.remove() }
        let target = try outside.write("precious", age: 7200)
        try FileManager.default.createSymbolicLink(atPath: root.url.appendingPathComponent("objects/ab/\(String(repeating: "ab", count: 31))cd").path,
                                                   withDestinationPath: target)
        // A fan-out folder that is a link to a folder elsewhere.
        try FileManager.default.removeItem(at: root.url.appendingPathComponent("records/ee"))
        try FileManager.default.createSymbolicLink(atPath: root.url.appendingPathComponent("records/ee").path, withDestinationPath: outside.path)
        try outside.write(Self.key.replacingOccurrences(of: "c", with: "e"), age: 7200)

        let result = try CacheMaintenance(location: location).prune(maxBytes: 0)
        #expect(result.removedFiles == 5)
        for path in ["objects/ab/\(Self.digest)", "records/cc/\(Self.key)", "pch/\(Self.pch)-amd64.pch",
                     "vmlinux/0123456789abcdef/amd64/vmlinux.h", "probe/compilers.json"] {
            #expect(!root.exists(path), "\(path) is gadgetc's and should have gone")
        }
        for path in foreign { #expect(root.exists(path), "\(path) is not gadgetc's") }
        #expect(FileManager.default.fileExists(atPath: target))
        #expect(outside.exists(Self.key.replacingOccurrences(of: "c", with: "e")))
        #expect(root.exists("CACHEDIR.TAG"))
    }

    @Test func statisticsCountOnlyGadgetcEntries() throws {
        let (root, location) = try gadgetcCache("stats")
        defer { root.remove() }
        try root.write("records/projectA/taxes.txt", String(repeating: "x", count: 5000))
        let statistics = CacheMaintenance(location: location).statistics()
        #expect(statistics.parts.map(\.files) == [1, 1, 1, 1, 1])
        #expect(statistics.totalBytes == 5)
    }

    @Test func temporariesGoOnlyWhenTheirWriterIsGoneOrTheyAreStale() throws {
        let (root, location) = try gadgetcCache("temporaries")
        defer { root.remove() }
        let dead = try deadProcessID()
        let me = getpid()
        let header = "vmlinux/0123456789abcdef/amd64"
        let live = try root.write("\(header)/.vmlinux.h.tmp-\(me)-1", age: 120)            // this process is writing it
        let justDied = try root.write("objects/ab/.\(Self.digest).tmp-\(dead)-2", age: 5)   // its writer may be in another PID namespace
        let orphan = try root.write("records/cc/.\(Self.key).tmp-\(dead)-3", age: 120)
        let ancient = try root.write("probe/.compilers.json.tmp-\(me)-4", age: 7200)        // no write takes an hour
        let clangLive = try root.write("pch/\(Self.pch)-amd64-0a1b2c3d.pch.tmp", age: 30)
        let clangStale = try root.write("pch/\(Self.pch)-arm64-0a1b2c3d.pch.tmp", age: 7200)
        let lockLive = try root.write("pch/\(Self.pch)-arm64.pch.lock", age: 30)

        let result = try CacheMaintenance(location: location).prune(maxBytes: 0)
        let exists = { (path: String) in FileManager.default.fileExists(atPath: path) }
        #expect(exists(live) && exists(justDied) && exists(clangLive) && exists(lockLive))
        #expect(!exists(orphan) && !exists(ancient) && !exists(clangStale))
        #expect(result.removedFiles == 3 + 5)
        #expect(result.remainingBytes == 4, "in-flight temporaries and locks count but stay")
    }

    @Test func aFreshlyGeneratedVmlinuxStays() throws {
        let (root, location) = try gadgetcCache("fresh-vmlinux")
        defer { root.remove() }
        let fresh = try root.write("vmlinux/fedcba9876543210/amd64/vmlinux.h")
        try CacheMaintenance(location: location).prune(maxBytes: 0)
        #expect(FileManager.default.fileExists(atPath: fresh), "the build that generated it is about to compile with it")
        #expect(!root.exists("vmlinux/0123456789abcdef/amd64/vmlinux.h"))
    }

    @Test func theRunningKernelsHeaderStays() throws {
        let (root, location) = try gadgetcCache("kernel-vmlinux")
        defer { root.remove() }
        let btf = try root.write("btf/vmlinux", "BTF")
        let arch = try #require(Architecture.host)
        let folder = GeneratedVmlinux.folder(for: arch, btfFingerprint: try #require(FileFingerprint(path: btf)).description, cache: location)
        let header = folder.appendingPathComponent("vmlinux.h")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try Data("struct task_struct;".utf8).write(to: header)
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -86_400)], ofItemAtPath: header.path)
        try CacheMaintenance(location: location, environment: ["GADGETC_KERNEL_BTF": btf]).prune(maxBytes: 0)
        #expect(FileManager.default.fileExists(atPath: header.path), "any build may be reading it")
        #expect(!root.exists("vmlinux/0123456789abcdef/amd64/vmlinux.h"), "another kernel's goes")
    }

    @Test func refusesAFolderWithoutGadgetcsTag() throws {
        let (root, location) = try gadgetcCache("untagged")
        defer { root.remove() }
        try FileManager.default.removeItem(at: location.tag)
        #expect(throws: CacheMaintenanceError.self) { try CacheMaintenance(location: location).prune(maxBytes: 0) }
        // Another tool's tag (the standard signature, not gadgetc's) is not gadgetc's either.
        try root.write("CACHEDIR.TAG", "Signature: 8a477f597d28d172789f06886806bc55\n# made by sometool\n")
        #expect(throws: CacheMaintenanceError.self) { try CacheMaintenance(location: location).prune(maxBytes: 0) }
        // A link to gadgetc's tag elsewhere does not count.
        try FileManager.default.removeItem(at: location.tag)
        let elsewhere = try TemporaryFolder("elsewhere")
        defer { elsewhere.remove() }
        let tag = try elsewhere.write("CACHEDIR.TAG", CacheLocation.tagText)
        try FileManager.default.createSymbolicLink(atPath: location.tag.path, withDestinationPath: tag)
        #expect(throws: CacheMaintenanceError.self) { try CacheMaintenance(location: location).prune(maxBytes: 0) }
        // The daily prune after a build stays silent and removes nothing.
        CacheMaintenance(location: location).pruneIfDue()
        #expect(root.exists("objects/ab/\(Self.digest)") && root.exists("probe/compilers.json"))
        #expect(String(describing: CacheMaintenanceError.notGadgetcCache(root.path)).contains("CACHEDIR.TAG"))
    }

    @Test func aMissingCacheHasNothingToPrune() throws {
        let root = try TemporaryFolder("missing")
        defer { root.remove() }
        let location = CacheLocation(root: root.url.appendingPathComponent("never-made"))
        #expect(try CacheMaintenance(location: location).prune(maxBytes: 0).removedFiles == 0)
        #expect(!FileManager.default.fileExists(atPath: location.root.path))
    }

    @Test func onlyANewOrOwnFolderIsTagged() throws {
        let parent = try TemporaryFolder("tagging")
        defer { parent.remove() }
        let new = CacheLocation(root: parent.url.appendingPathComponent("new/gadgetc"))
        _ = try new.makeFolder("objects")
        #expect(new.isMarkedAsGadgetcCache)

        // A folder of the user's that GADGETC_CACHE_DIR points at: used, never marked disposable.
        try parent.write("home/notes.txt")
        let home = CacheLocation(root: parent.url.appendingPathComponent("home"))
        _ = try home.makeFolder("objects")
        _ = try home.makeFolder("records")
        #expect(!home.isMarkedAsGadgetcCache)
        #expect(!parent.exists("home/CACHEDIR.TAG"))

        // gadgetc's own folders and files, tag deleted: marked again.
        try FileManager.default.removeItem(at: new.tag)
        _ = try new.makeFolder("objects")
        #expect(new.isMarkedAsGadgetcCache)
    }

    @Test func temporaryNamesParseBack() {
        let url = URL(fileURLWithPath: "/c/objects/ab/\(Self.digest)")
        let parsed = TemporaryName(parsing: AtomicFile.temporarySibling(of: url).lastPathComponent)
        #expect(parsed == TemporaryName(target: Self.digest, pid: getpid()))
        #expect(TemporaryName(parsing: ".vmlinux.h.tmp-12-34") == TemporaryName(target: "vmlinux.h", pid: 12))
        for name in ["vmlinux.h.tmp-12-34", ".vmlinux.h.tmp-12", ".vmlinux.h.tmp-12-", ".vmlinux.h.tmp--34", ".vmlinux.h.tmp-1a-34",
                     ".vmlinux.h.tmp-0-34", "..tmp-12-34", ".tmp-12-34", ".vmlinux.h.tmp-12-34-56", ".x.tmp-12-99999999999"] {
            #expect(TemporaryName(parsing: name) == nil, "\(name)")
        }
    }
}
