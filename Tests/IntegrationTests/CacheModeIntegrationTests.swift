import Foundation
import Testing
@testable import GadgetBuild

@Suite struct CacheModeIntegrationTests {
    /// The review's F19: at umask 000 nothing gadgetc writes in its cache is world-writable.
    @Test func cacheIsNotWorldWritableUnderUmask000() async throws {
        let box = try BinarySandbox("umask")
        defer { box.remove() }
        let build = try await box.run(["/bin/sh", "-c", "umask 000 && exec \"$@\"", "sh"] + box.buildArguments, environment: ["GADGETC_PCH": "off"])
        #expect(build.succeeded, "\(build.standardError)")
        var writable: [String] = []
        var checked = 0
        let walker = FileManager.default.enumerator(atPath: box.cache.path)
        while let relative = walker?.nextObject() as? String {
            // vmlinux/ is written by the vmlinux.h generator, outside the cache's own writers.
            if relative.hasPrefix("vmlinux") { continue }
            var info = stat()
            guard lstat(box.cache.appendingPathComponent(relative).path, &info) == 0 else { continue }
            checked += 1
            if info.st_mode & 0o002 != 0 { writable.append(relative) }
        }
        #expect(checked > 256, "objects/, records/, probe/, builds/ and their files")
        #expect(writable.isEmpty, "world-writable: \(writable)")
    }
}
