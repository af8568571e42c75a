import Testing
@testable import GadgetBuild

/// An untagged build is named after its folder, made a valid repository name (review F17).
@Suite struct DefaultTagTests {
    func tag(_ folder: String) throws -> String {
        try BuildDriver().defaultTag(BuildRequest(gadgetFolder: "/gadgets/\(folder)"))
    }

    @Test func plainNamesAreKept() throws {
        #expect(try tag("trace_exec") == "ghcr.io/inspektor-gadget/gadget/trace_exec:latest")
        #expect(try tag("Top.TCP") == "ghcr.io/inspektor-gadget/gadget/top.tcp:latest")
    }

    @Test func aColonNeverBecomesATag() throws {
        #expect(try tag("a:b") == "ghcr.io/inspektor-gadget/gadget/a-b:latest")
        #expect(try tag("localhost:5000") == "ghcr.io/inspektor-gadget/gadget/localhost-5000:latest")
        #expect(try tag("my gadget\n") == "ghcr.io/inspektor-gadget/gadget/my-gadget:latest")
        #expect(try tag("x@sha256") == "ghcr.io/inspektor-gadget/gadget/x-sha256:latest")
        #expect(try tag("-a.._b__") == "ghcr.io/inspektor-gadget/gadget/a-b:latest")
    }

    @Test func nothingUsableAsksForATag() {
        #expect(throws: ExecutionError.self) { try tag("___") }
        #expect(throws: ExecutionError.self) { try tag("ééé") }
    }
}
