import Foundation
import Testing
@testable import GadgetBuild

/// doctor and `build --json` say when native images cannot have the builder image's bytes.
@Suite struct ReproducibilityNoteTests {
    @Test func anotherClangMajorIsNamedAsTheDifference() {
        let sixteen = ProbeReport.reproducibility(of: ClangCompiler.named("/usr/bin/clang-16", major: 16, fingerprint: nil))
        #expect(sixteen?.contains("differ from ig's builder image's: clang 16 here, clang 18 there") == true)
        let eighteen = ProbeReport.reproducibility(of: ClangCompiler.named("/usr/bin/clang-18", major: 18, fingerprint: nil))
        #expect(eighteen?.hasPrefix("native images have the builder image's bytes") == true)
        #expect(ProbeReport.reproducibility(of: nil) == nil)
    }
}
