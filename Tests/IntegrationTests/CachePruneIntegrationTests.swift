import Foundation
import Testing
@testable import GadgetBuild

/// `gadgetc cache prune` with the real binary against real builds: during builds (review F8), and in a
/// folder that holds files gadgetc did not write (F9).
@Suite(.serialized) struct CachePruneIntegrationTests {
    /// Set once a build has ended.
    final class Flag: @unchecked Sendable {
        private let lock = NSLock()
        private var value = false
        var isSet: Bool { lock.withLock { value } }
        func set() { lock.withLock { value = true } }
    }

    /// `cache prune --max-size 0` over and over while builds run, cold and after an edit (with the
    /// PCH the first build started): every build succeeds, and so does every prune.
    @Test(.timeLimit(.minutes(5))) func pruneDuringBuildsNeverFailsThem() async throws {
        for round in 0..<3 {
            let box = try BinarySandbox("prune-during-\(round)")
            defer { box.remove() }
            for step in 0..<2 {
                if step > 0 { try box.edit(step) }
                let done = Flag()
                let build = Task {
                    defer { done.set() }
                    return try await box.run(box.buildArguments)
                }
                var prunes = 0
                while !done.isSet {
                    let prune = try await box.run([Fixtures.gadgetc, "cache", "prune", "--max-size", "0"])
                    #expect(prune.succeeded, "prune failed: \(prune.standardError)")
                    prunes += 1
                }
                let result = try await build.value
                #expect(result.succeeded, "round \(round), build \(step), \(prunes) prunes during it:\n\(result.standardError)")
                #expect(result.standardOutput.hasPrefix("Successfully built "))
                #expect(prunes > 0)
            }
        }
    }

    /// A prune while a build waits to compile (its clang starts a second late) leaves the image as a
    /// clean build makes it: the running kernel's vmlinux.h, a day old, stays. Removed, trace_exec's
    /// `__has_include(<vmlinux.h>)` took its fallback, the build succeeded with another image, and
    /// the cache kept that object for the builds after it.
    @Test(.timeLimit(.minutes(3))) func pruneDuringACompileKeepsTheImage() async throws {
        let box = try BinarySandbox("prune-image")
        defer { box.remove() }
        let clang = box.root.appendingPathComponent("slowclang")
        try """
            #!/bin/sh
            for a in "$@"; do [ "$a" = -print-targets ] && exec /usr/bin/clang-16 "$@"; done
            sleep 1
            exec /usr/bin/clang-16 "$@"

            """.write(to: clang, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: clang.path)
        let slow = ["GADGETC_CLANG": clang.path, "GADGETC_PCH": "off"]
        let first = try await box.run(box.buildArguments, environment: slow)
        try #require(first.succeeded, "\(first.standardError)")
        let headers = Fixtures.files(under: box.cache.appendingPathComponent("vmlinux")).filter { $0.hasSuffix("/vmlinux.h") }
        try #require(!headers.isEmpty, "the build generated vmlinux.h from the kernel's BTF")
        for header in headers {
            try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -86_400)],
                                                  ofItemAtPath: box.cache.appendingPathComponent("vmlinux/\(header)").path)
        }

        try box.edit(1)
        let build = Task { try await box.run(box.buildArguments, environment: slow) }
        try await Task.sleep(for: .milliseconds(500))
        let prune = try await box.run([Fixtures.gadgetc, "cache", "prune", "--max-size", "0"])
        #expect(prune.succeeded, "\(prune.standardError)")
        let pruned = try await build.value
        #expect(pruned.succeeded, "\(pruned.standardError)")
        let clean = try await box.run(box.buildArguments, environment: ["GADGETC_CACHE_DIR": box.root.appendingPathComponent("clean").path])
        #expect(clean.succeeded, "\(clean.standardError)")
        func digest(_ result: ProcessResult) -> Substring? { result.standardOutput.split(separator: "@").last?.prefix(71) }
        #expect(digest(pruned) != nil && digest(pruned) == digest(clean), "\(pruned.standardOutput) vs clean \(clean.standardOutput)")
    }

    /// The review's F9: a cache folder that already holds other files keeps them, through the daily
    /// prune after a build and through `cache prune --max-size 0`.
    @Test func pruneLeavesFilesGadgetcDidNotWrite() async throws {
        let box = try BinarySandbox("prune-scope")
        defer { box.remove() }
        let theirs = ["records/projectA/db.lock", "records/projectA/taxes.txt", "probe/notes.txt", "objects/report.tmp-1"]
        for path in theirs {
            let url = box.cache.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data("theirs".utf8).write(to: url)
            try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -7200)], ofItemAtPath: url.path)
        }
        let build = try await box.run(box.buildArguments)
        #expect(build.succeeded, "\(build.standardError)")
        #expect(FileManager.default.fileExists(atPath: box.cache.appendingPathComponent("last-prune").path), "the daily prune ran")
        let prune = try await box.run([Fixtures.gadgetc, "cache", "prune", "--max-size", "0"])
        #expect(prune.succeeded, "\(prune.standardError)")
        for path in theirs { #expect(FileManager.default.fileExists(atPath: box.cache.appendingPathComponent(path).path), "\(path)") }
        let objects = Fixtures.files(under: box.cache.appendingPathComponent("objects")).filter { !$0.hasPrefix("report") }
        #expect(objects.isEmpty, "gadgetc's own objects went: \(objects)")
    }

    /// A folder with files of the user's at its root is used as a cache but never marked as one, so
    /// `cache prune` refuses it with one line.
    @Test func pruneRefusesAFolderGadgetcDidNotMake() async throws {
        let box = try BinarySandbox("prune-refuses")
        defer { box.remove() }
        try FileManager.default.createDirectory(at: box.cache, withIntermediateDirectories: true)
        try Data("mine".utf8).write(to: box.cache.appendingPathComponent("notes.txt"))
        let build = try await box.run(box.buildArguments)
        #expect(build.succeeded, "\(build.standardError)")
        #expect(!FileManager.default.fileExists(atPath: box.cache.appendingPathComponent("CACHEDIR.TAG").path))
        let prune = try await box.run([Fixtures.gadgetc, "cache", "prune", "--max-size", "0"])
        #expect(!prune.succeeded)
        let lines = prune.standardError.split(separator: "\n")
        // One line naming the reason (ArgumentParser prints it as "Error: …": Sources/gadgetc/Cache.swift does not catch it).
        #expect(lines.count == 1 && lines[0].lowercased().hasPrefix("error: ") && lines[0].contains("CACHEDIR.TAG"), "\(prune.standardError)")
        #expect(!Fixtures.files(under: box.cache.appendingPathComponent("objects")).isEmpty, "nothing removed")
    }
}
