import Foundation
import Testing
@testable import GadgetBuild

/// Foundation's errors are shown from their errno and path, never as a user-info dump (review F16).
@Suite struct FoundationErrorTextTests {
    @Test func cocoaErrorWithAPOSIXCause() {
        let error = CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: "/x/gadget.yaml",
                                                              NSUnderlyingErrorKey: NSError(domain: NSPOSIXErrorDomain, code: Int(EACCES))])
        #expect(FoundationErrorText.describe(error) == "/x/gadget.yaml: permission denied")
    }

    @Test func cocoaErrorWithoutACause() throws {
        do {
            _ = try Data(contentsOf: URL(fileURLWithPath: "/nonexistent/gadgetc/file"))
            Issue.record("expected an error")
        } catch {
            let text = try #require(FoundationErrorText.describe(error))
            #expect(text.contains("/nonexistent/gadgetc/file") && text.contains("no such file"), "\(text)")
            #expect(!text.contains("NSCocoaErrorDomain") && !text.contains("could not be completed"))
        }
    }

    @Test func gadgetcErrorsDescribeThemselves() {
        #expect(FoundationErrorText.describe(MetadataError.folderMissing("x")) == nil)
    }
}
