import Testing
@testable import GadgetBuild

/// `-I` values that add no headers get a warning (review F14).
@Suite struct IncludeDirectoryCheckTests {
    @Test func badValuesAreNamed() {
        let warnings = IncludeDirectoryCheck.warnings(["/usr/include", "/nonexistent/gadgetc", "/etc/passwd", ""])
        #expect(warnings == [
            "-I /nonexistent/gadgetc: no such folder; no headers are found there (check the path)",
            "-I /etc/passwd is a regular file, not a folder; no headers are found there (pass the folder that holds the headers)",
            "-I '' names no folder; it is ignored",
        ])
        #expect(IncludeDirectoryCheck.usable(["", "/usr/include"]) == ["/usr/include"])
    }
}
