import Testing
@testable import GadgetBuild

/// The compilers' text as `--json` diagnostics (issue 14, point 3).
@Suite struct CompilerDiagnosticTests {
    @Test func clangErrorsWarningsAndNotes() {
        let text = """
        In file included from program.bpf.c:4:
        ./helpers.h:3:9: warning: unused variable 'x' [-Wunused-variable]
            3 |     int x;
              |         ^
        program.bpf.c:12:25: error: expected ';' after return statement
           12 |         return pid == 1 ? 1 : 0
              |                                ^
              |                                ;
        /usr/include/bpf/bpf_helpers.h:40:1: note: expanded from macro 'SEC'
        program.bpf.c:20:1: fatal error: 'missing.h' file not found
        2 warnings and 2 errors generated.
        """
        let found = CompilerDiagnostic.parse(text)
        #expect(found == [
            CompilerDiagnostic(file: "./helpers.h", line: 3, column: 9, severity: .warning, message: "unused variable 'x'", option: "-Wunused-variable"),
            CompilerDiagnostic(file: "program.bpf.c", line: 12, column: 25, severity: .error, message: "expected ';' after return statement"),
            CompilerDiagnostic(file: "/usr/include/bpf/bpf_helpers.h", line: 40, column: 1, severity: .note, message: "expanded from macro 'SEC'"),
            CompilerDiagnostic(file: "program.bpf.c", line: 20, column: 1, severity: .fatalError, message: "'missing.h' file not found"),
        ])
    }

    @Test func aWarningGroupKeepsItsFirstOption() {
        let found = CompilerDiagnostic.parse("a.c:1:2: warning: format mismatch [-Wformat,Format String Issue]")
        #expect(found.first?.option == "-Wformat" && found.first?.message == "format mismatch")
    }

    @Test func goErrorsAreErrors() {
        let text = """
        # gadget/go
        ./program.go:12:2: undefined: notThere
        ./program.go:14:9: cannot use x (variable of type int) as string value in return statement
        """
        let found = CompilerDiagnostic.parse(text)
        #expect(found.count == 2)
        #expect(found.first == CompilerDiagnostic(file: "./program.go", line: 12, column: 2, severity: .error, message: "undefined: notThere"))
    }

    @Test func rustHeadingsTakeTheirPlaceFromTheArrowLine() {
        let text = """
        error[E0425]: cannot find value `y` in this scope
         --> src/lib.rs:3:5
          |
        3 |     y
          |     ^ not found in this scope

        warning: unused import: `std::fmt`
         --> src/lib.rs:1:5

        error: aborting due to previous error
        """
        let found = CompilerDiagnostic.parse(text)
        #expect(found == [
            CompilerDiagnostic(file: "src/lib.rs", line: 3, column: 5, severity: .error, message: "cannot find value `y` in this scope", option: "E0425"),
            CompilerDiagnostic(file: "src/lib.rs", line: 1, column: 5, severity: .warning, message: "unused import: `std::fmt`"),
        ])
    }

    @Test func sourceLinesAndSummariesAreNotMessages() {
        #expect(CompilerDiagnostic.parse("   12 |   return a ? b : c;\n1 warning generated.\nIn file included from x.c:3:").isEmpty)
    }
}
