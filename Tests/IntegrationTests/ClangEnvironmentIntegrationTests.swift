import Foundation
import Testing
@testable import GadgetBuild

/// gadgetc runs the host's clang with huge-page malloc (`ClangEnvironment`); the real clang must write
/// the same bytes with and without it.
@Suite struct ClangEnvironmentIntegrationTests {
    @Test func objectsAreTheSameWithAndWithoutIt() async throws {
        let root = try Fixtures.temporaryDirectory("clang-env")
        defer { try? FileManager.default.removeItem(at: root) }
        let driver = BuildDriver(host: Fixtures.host(cache: root.appendingPathComponent("cache")))
        let request = BuildRequest(gadgetFolder: Fixtures.samples.appendingPathComponent("trace_exec").path, architectures: [.amd64],
                                   includeDirectories: [Fixtures.bundledHeaders], useCache: false)
        let (plan, _) = try await driver.plan(request, workDirectory: root.appendingPathComponent("work"))
        let job = try #require(plan.jobs(.compile).first)
        #expect(job.environment == ClangEnvironment.additions(to: ProcessInfo.processInfo.environment))
        try FileManager.default.createDirectory(at: root.appendingPathComponent("work/amd64"), withIntermediateDirectories: true)

        var objects: [Data] = []
        for (name, variables) in [("with", job.environment ?? [:]), ("without", ["GLIBC_TUNABLES": "glibc.malloc.hugetlb=0"])] {
            var argv = job.argv
            let output = root.appendingPathComponent("\(name).o").path
            argv[try #require(argv.lastIndex(of: "-o")) + 1] = output
            let result = try await ProcessRunner().run(argv, workingDirectory: job.workingDirectory, environment: variables)
            #expect(result.succeeded, "\(result.standardError)")
            objects.append(try Data(contentsOf: URL(fileURLWithPath: output)))
        }
        #expect(objects[0] == objects[1])
    }
}
