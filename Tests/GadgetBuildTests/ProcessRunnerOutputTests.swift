import Testing
@testable import GadgetBuild

/// More output than the limit is truncated with a note instead of failing the run (review F16).
@Suite struct ProcessRunnerOutputTests {
    @Test func stderrBeyondTheLimitIsTruncatedNotAnError() async throws {
        let bytes = ProcessRunner.outputLimit + 1_000_000
        let result = try await ProcessRunner().run(["/bin/sh", "-c", "head -c \(bytes) /dev/zero | tr '\\0' x >&2; echo done; exit 3"])
        #expect(result.status == 3 && !result.signaled)
        #expect(result.standardOutput == "done\n")
        #expect(result.standardError.hasPrefix("xxxx"))
        #expect(result.standardError.hasSuffix("[output truncated: the first 16 MiB are shown, 1000000 more bytes were left out]\n"))
        #expect(result.standardError.utf8.count < ProcessRunner.outputLimit + 200)
    }

    @Test func ordinaryOutputIsUnchanged() async throws {
        let result = try await ProcessRunner().run(["/bin/sh", "-c", "printf 'out'; printf 'err\\n' >&2"])
        #expect(result.succeeded)
        #expect(result.standardOutput == "out" && result.standardError == "err\n")
    }
}

/// The peak RSS gadgetc reports is its own, not that of the process that started it.
struct PeakMemoryTests {
    @Test func theHighWaterMarkOfThisAddressSpace() {
        #expect(BuildDriver.peakMemoryKiB(status: "Name:\tgadgetc\nVmPeak:\t  900000 kB\nVmHWM:\t   36744 kB\nVmRSS:\t   30000 kB\n") == 36744)
        #expect(BuildDriver.peakMemoryKiB(status: "Name:\tgadgetc\n") == nil)
        #expect(BuildDriver.peakMemoryKiB() > 0)
    }
}
