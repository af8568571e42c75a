import Foundation

/// One line for a Foundation error, built from its errno and path: Foundation's own texts are either a
/// dump of the user info ("Error Domain=NSCocoaErrorDomain Code=512 …") or say nothing ("The operation
/// could not be completed").
public enum FoundationErrorText {
    /// nil for errors that are not Foundation's (they describe themselves).
    public static func describe(_ error: Error) -> String? {
        let path: String?
        let code: Int
        let domain: String
        if let cocoa = error as? CocoaError {
            path = cocoa.filePath ?? cocoa.url?.path
            code = cocoa.code.rawValue
            domain = NSCocoaErrorDomain
        } else if let posix = error as? POSIXError {
            return SystemError.text(posix.code.rawValue)
        } else if let nsError = error as? NSError, [NSCocoaErrorDomain, NSPOSIXErrorDomain].contains(nsError.domain) {
            // Only Foundation's own domains: a Swift error bridged to NSError has its type's name as domain.
            path = nsError.userInfo[NSFilePathErrorKey] as? String ?? (nsError.userInfo[NSURLErrorKey] as? URL)?.path
            code = nsError.code
            domain = nsError.domain
        } else {
            return nil
        }
        let nsError = error as NSError
        let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? NSError
        let posix: Int32? = domain == NSPOSIXErrorDomain ? Int32(code)
            : underlying?.domain == NSPOSIXErrorDomain ? underlying.map { Int32($0.code) } : nil
        let reason = posix.map(SystemError.text) ?? cocoaReason(code) ?? "error \(code) in \(domain)"
        return path.map { "\($0): \(reason)" } ?? reason
    }

    static func cocoaReason(_ code: Int) -> String? {
        switch CocoaError.Code(rawValue: code) {
        case .fileNoSuchFile, .fileReadNoSuchFile: "no such file"
        case .fileReadNoPermission, .fileWriteNoPermission: "permission denied"
        case .fileWriteOutOfSpace: "no space left on the device"
        case .fileWriteVolumeReadOnly: "read-only file system"
        case .fileWriteFileExists: "a file is already there"
        case .fileReadInapplicableStringEncoding, .fileReadUnknownStringEncoding: "not text in the expected encoding (UTF-8)"
        case .fileReadTooLarge: "too large to read"
        case .fileReadCorruptFile: "unreadable (corrupt)"
        case .fileReadUnknown: "cannot be read (not a regular file?)"
        case .fileWriteUnknown, .fileWriteInvalidFileName: "cannot be written"
        case .fileLocking: "locked"
        default: nil
        }
    }
}
