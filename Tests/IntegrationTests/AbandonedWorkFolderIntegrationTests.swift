import Foundation
import Testing
@testable import GadgetBuild

@Suite struct AbandonedWorkFolderIntegrationTests {
    /// The review's F11: a build killed with SIGKILL leaves its work folder; the next build removes it.
    @Test(.timeLimit(.minutes(2))) func theNextBuildRemovesAKilledBuildsWorkFolder() async throws {
        let box = try BinarySandbox("killed")
        defer { box.remove() }
        // A clang that lingers before compiling: the build is surely running, its work folder made, when it
        // is killed (polling a fast build on a loaded machine can miss the folder's whole life).
        let clang = box.root.appendingPathComponent("clang-16")
        try "#!/bin/sh\ncase \" $* \" in *\" -c \"*) sleep 30;; esac\nexec /usr/bin/clang-16 \"$@\"\n".write(to: clang, atomically: true, encoding: .utf8)
        chmod(clang.path, 0o755)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Fixtures.gadgetc)
        process.arguments = Array(box.buildArguments.dropFirst())
        process.environment = ProcessInfo.processInfo.environment.merging(box.environment.merging(["GADGETC_CLANG": clang.path]) { $1 }) { $1 }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let pid = process.processIdentifier
        let deadline = Date().addingTimeInterval(30)
        while !box.workFolders.contains(where: { $0.hasPrefix("gadgetc-build-\(pid)-") }), process.isRunning, Date() < deadline {
            try await Task.sleep(for: .milliseconds(5))
        }
        kill(pid, SIGKILL)
        process.waitUntilExit()
        let left = box.workFolders
        try #require(left.contains { $0.hasPrefix("gadgetc-build-\(pid)-") }, "the killed build made no work folder: \(left)")
        // clang processes the kill orphaned may still write into it: let them end.
        try await Task.sleep(for: .seconds(2))

        let next = try await box.run(box.buildArguments)
        #expect(next.succeeded, "\(next.standardError)")
        #expect(box.workFolders.isEmpty, "left behind: \(box.workFolders)")
    }
}
