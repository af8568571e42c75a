import Foundation

/// Everything that can go wrong while naming, packaging or storing a gadget image.
///
/// Each message is one line that says what is wrong and what to do about it.
public struct OCIError: Error, CustomStringConvertible, Equatable, Sendable {
    /// What kind of failure this is, for callers that pick an exit code or a test that checks it.
    public enum Code: String, Sendable {
        case invalidReference
        case digestReferenceNotTaggable
        case noPrograms
        case invalidArchitecture
        case unreadableInput
        case invalidMetadata
        case invalidSourceDateEpoch
        case notAnImageLayout
        case corruptImageLayout
        case imageNotFound
        case writeFailed
        case lockFailed
    }

    public let code: Code
    public let description: String

    init(_ code: Code, _ description: String) {
        self.code = code
        self.description = description
    }

    static func invalidReference(_ text: String, reason: String) -> OCIError {
        OCIError(.invalidReference,
                 "invalid image reference \"\(text)\": \(reason); use NAME[:TAG] such as mygadget:v1 "
                 + "(stored as ghcr.io/inspektor-gadget/gadget/mygadget:v1) or REGISTRY/REPOSITORY[:TAG] "
                 + "such as ghcr.io/me/mygadget:v1 (lowercase repository, tag of letters, digits, '_', '.', '-')")
    }

    static func digestReferenceNotTaggable(_ reference: ImageReference) -> OCIError {
        OCIError(.digestReferenceNotTaggable,
                 "cannot tag a new build as \"\(reference)\": a digest names existing content and is known only "
                 + "after the build; tag it as \(reference.repository):TAG instead")
    }

    static func noPrograms() -> OCIError {
        OCIError(.noPrograms,
                 "nothing to package: an image needs an eBPF object, a wasm module or gadget.yaml, for at least one architecture (amd64, arm64)")
    }

    static func invalidArchitecture(_ arch: String) -> OCIError {
        OCIError(.invalidArchitecture,
                 "invalid architecture name \"\(arch)\" for an eBPF object; use a Go/OCI architecture name such as amd64 or arm64")
    }

    static func unreadableInput(_ what: String, _ url: URL, _ error: Error) -> OCIError {
        OCIError(.unreadableInput,
                 "cannot read the \(what) \(url.path) (\(OCIError.reason(error))); build it first or fix the path")
    }

    static func invalidMetadata(_ reason: String) -> OCIError {
        OCIError(.invalidMetadata,
                 "gadget.yaml cannot be read for image annotations: \(reason); fix gadget.yaml so that it is a YAML mapping")
    }

    static func invalidSourceDateEpoch(_ value: String) -> OCIError {
        OCIError(.invalidSourceDateEpoch,
                 "invalid SOURCE_DATE_EPOCH \"\(value)\": it must be a whole number of seconds since 1970-01-01 UTC "
                 + "(e.g. $(git log -1 --format=%ct)); set it to one or unset it")
    }

    static func notAnImageLayout(_ root: URL) -> OCIError {
        OCIError(.notAnImageLayout,
                 "\(root.path) is not empty and is not an OCI image layout (no oci-layout file); "
                 + "choose an empty or new folder, or an existing OCI layout")
    }

    static func corruptImageLayout(_ file: URL, _ reason: String) -> OCIError {
        OCIError(.corruptImageLayout,
                 "\(file.path) is not a valid OCI image layout file (\(reason)); repair or remove it, then retry")
    }

    static func writeFailed(_ what: String, _ url: URL, _ error: Error) -> OCIError {
        OCIError(.writeFailed,
                 "cannot write the \(what) \(url.path) (\(OCIError.reason(error))); check free space and permissions")
    }

    static func lockFailed(_ url: URL, errno code: Int32) -> OCIError {
        OCIError(.lockFailed,
                 "cannot lock \(url.path) (\(String(cString: strerror(code)))); check permissions on the image store")
    }

    /// A short, single-line reason for a Foundation or POSIX error.
    static func reason(_ error: Error) -> String {
        if let error = error as? OCIError { return error.description }
        let nsError = error as NSError
        if let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? NSError,
           underlying.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(underlying.code)))
        }
        if nsError.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(nsError.code)))
        }
        if nsError.domain == NSCocoaErrorDomain {
            switch nsError.code {
            case NSFileReadNoSuchFileError, NSFileNoSuchFileError: return "no such file"
            case NSFileReadNoPermissionError, NSFileWriteNoPermissionError: return "permission denied"
            case NSFileWriteOutOfSpaceError: return "no space left on device"
            default: break
            }
        }
        return FoundationErrorText.describe(error) ?? "error \(nsError.code) in \(nsError.domain)"
    }
}
