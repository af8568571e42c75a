import Foundation

/// A gadget image name, normalized the way ig normalizes it before it touches its store.
///
/// ig resolves a name in two steps (pkg/oci/oci.go, `normalizeImageName`): a name whose first
/// component is not a registry (no '.', no ':', not `localhost`, lowercase) gets the domain
/// `ghcr.io`, and a bare name on `ghcr.io` gets the official prefix `inspektor-gadget/gadget/`; the
/// result is then parsed like distribution/reference's `ParseNormalizedNamed` (so `docker.io/x`
/// becomes `docker.io/library/x`) and given the tag `latest` when it has neither tag nor digest.
///
///     foo                   → ghcr.io/inspektor-gadget/gadget/foo:latest
///     foo:v1                → ghcr.io/inspektor-gadget/gadget/foo:v1
///     me/foo:v1             → ghcr.io/me/foo:v1
///     reg:5000/x/y:t        → reg:5000/x/y:t
///     foo@sha256:<64 hex>   → ghcr.io/inspektor-gadget/gadget/foo@sha256:<64 hex>   (no tag added)
public struct ImageReference: Hashable, Sendable, CustomStringConvertible {
    /// The registry host, with its port if any: `ghcr.io`, `localhost:5000` (empty in the rare
    /// name whose first component is neither a host nor the default registry, e.g. `a_b.c/d`).
    public var domain: String
    /// The full repository name including the domain: `ghcr.io/inspektor-gadget/gadget/foo`.
    public var repository: String
    /// The tag; `nil` only for a reference given by digest alone.
    public var tag: String?
    /// The digest (`sha256:…`) when the reference pins one.
    public var digest: String?

    static let defaultDomain = "ghcr.io"
    static let officialRepositoryPrefix = "inspektor-gadget/gadget/"

    /// The full normalized reference, as ig writes it into `org.opencontainers.image.ref.name`.
    public var description: String {
        var text = repository
        if let tag { text += ":" + tag }
        if let digest { text += "@" + digest }
        return text
    }

    /// The name ig shows in `ig image list`: the repository without the official prefix.
    public var shortRepository: String {
        let official = ImageReference.defaultDomain + "/" + ImageReference.officialRepositoryPrefix
        return repository.hasPrefix(official) ? String(repository.dropFirst(official.count)) : repository
    }

    public init(parsing text: String) throws {
        guard !text.isEmpty else { throw OCIError.invalidReference(text, reason: "the name is empty") }

        // ig's own domain split: the default registry is ghcr.io, not docker.io.
        var (domain, remainder) = ImageReference.splitDomain(text, defaultDomain: ImageReference.defaultDomain)
        if domain == ImageReference.defaultDomain && !remainder.contains("/") {
            remainder = ImageReference.officialRepositoryPrefix + remainder
        }

        // distribution/reference's ParseNormalizedNamed on "domain/remainder".
        let full = domain + "/" + remainder
        (domain, remainder) = ImageReference.splitDomain(full, defaultDomain: "docker.io")
        if domain == "index.docker.io" { domain = "docker.io" }
        if domain == "docker.io" && !remainder.contains("/") { remainder = "library/" + remainder }
        let remote = remainder.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)[0]
        if remote.lowercased() != remote {
            throw OCIError.invalidReference(text, reason: "the repository name \"\(remote)\" must be lowercase")
        }

        var nameAndTag = Substring(remainder)
        var digest: String?
        if let at = nameAndTag.firstIndex(of: "@") {
            digest = String(nameAndTag[nameAndTag.index(after: at)...])
            nameAndTag = nameAndTag[..<at]
        }
        var path = nameAndTag
        var tag: String?
        if let colon = nameAndTag.lastIndex(of: ":") {
            tag = String(nameAndTag[nameAndTag.index(after: colon)...])
            path = nameAndTag[..<colon]
        }

        if !ImageReference.isValidDomain(domain) {
            // Like the reference grammar: what is not a host may still be the first path component.
            guard ImageReference.isValidPath(Substring(domain + "/" + path)) else {
                throw OCIError.invalidReference(text, reason: "\"\(domain)\" is not a valid registry host[:port]")
            }
            path = Substring(domain + "/" + path)
            domain = ""
        }
        guard ImageReference.isValidPath(path) else {
            throw OCIError.invalidReference(
                text, reason: "\"\(path)\" is not a valid repository path (lowercase letters and digits, "
                    + "separated by '/', and inside a component by '.', '_', '__' or dashes)")
        }
        if let tag, !ImageReference.isValidTag(tag) {
            throw OCIError.invalidReference(
                text, reason: "\"\(tag)\" is not a valid tag (1 to 128 letters, digits, '_', '.' or '-', not starting with '.' or '-')")
        }
        if let digest, !ImageReference.isValidDigest(digest) {
            throw OCIError.invalidReference(
                text, reason: "\"\(digest)\" is not a valid digest (sha256: followed by 64 lowercase hex digits)")
        }
        let repository = domain.isEmpty ? String(path) : domain + "/" + path
        guard repository.utf8.count <= 255 else {
            throw OCIError.invalidReference(text, reason: "the repository name is longer than 255 characters")
        }

        self.domain = domain
        self.repository = repository
        self.tag = (tag == nil && digest == nil) ? "latest" : tag
        self.digest = digest
    }

    /// Splits at the first '/' when what precedes it looks like a registry, as both ig and
    /// distribution/reference do; otherwise the whole name belongs to `defaultDomain`.
    private static func splitDomain(_ name: String, defaultDomain: String) -> (String, String) {
        guard let slash = name.firstIndex(of: "/") else { return (defaultDomain, name) }
        let first = name[..<slash]
        let looksLikeRegistry = first.contains(".") || first.contains(":") || first == "localhost"
            || first.lowercased() != first
        guard looksLikeRegistry else { return (defaultDomain, name) }
        return (String(first), String(name[name.index(after: slash)...]))
    }

    // MARK: Grammar of distribution/reference

    private static func isAlnum(_ c: UInt8) -> Bool {
        (0x30...0x39).contains(c) || (0x41...0x5A).contains(c) || (0x61...0x7A).contains(c)
    }

    private static func isLowerAlnum(_ c: UInt8) -> Bool {
        (0x30...0x39).contains(c) || (0x61...0x7A).contains(c)
    }

    private static func isHex(_ c: UInt8) -> Bool {
        (0x30...0x39).contains(c) || (0x61...0x66).contains(c) || (0x41...0x46).contains(c)
    }

    /// host[:port] where host is dot-separated labels of letters, digits and inner dashes, or `[ipv6]`.
    static func isValidDomain(_ domain: String) -> Bool {
        var host = Substring(domain)
        if let colon = host.lastIndex(of: ":"), !host.hasSuffix("]") {
            let port = host[host.index(after: colon)...]
            guard !port.isEmpty, port.utf8.allSatisfy({ (0x30...0x39).contains($0) }) else { return false }
            host = host[..<colon]
        }
        if host.hasPrefix("[") {
            guard host.hasSuffix("]"), host.count > 2 else { return false }
            return host.dropFirst().dropLast().utf8.allSatisfy { isHex($0) || $0 == UInt8(ascii: ":") }
        }
        let labels = host.split(separator: ".", omittingEmptySubsequences: false)
        return !labels.isEmpty && labels.allSatisfy { label in
            let bytes = Array(label.utf8)
            guard let first = bytes.first, let last = bytes.last, isAlnum(first), isAlnum(last) else { return false }
            return bytes.allSatisfy { isAlnum($0) || $0 == UInt8(ascii: "-") }
        }
    }

    /// Components of `[a-z0-9]+` joined by `.`, `_`, `__` or a run of dashes, separated by '/'.
    static func isValidPath(_ path: Substring) -> Bool {
        let components = path.split(separator: "/", omittingEmptySubsequences: false)
        return !components.isEmpty && components.allSatisfy { component in
            let bytes = Array(component.utf8)
            guard let first = bytes.first, let last = bytes.last, isLowerAlnum(first), isLowerAlnum(last) else {
                return false
            }
            var i = 0
            while i < bytes.count {
                if isLowerAlnum(bytes[i]) { i += 1; continue }
                // A separator: ".", "_", "__" or "-"+, always followed by an alphanumeric.
                var j = i
                if bytes[i] == UInt8(ascii: ".") {
                    j = i + 1
                } else if bytes[i] == UInt8(ascii: "_") {
                    j = (i + 1 < bytes.count && bytes[i + 1] == UInt8(ascii: "_")) ? i + 2 : i + 1
                } else if bytes[i] == UInt8(ascii: "-") {
                    while j < bytes.count, bytes[j] == UInt8(ascii: "-") { j += 1 }
                } else {
                    return false
                }
                guard j < bytes.count, isLowerAlnum(bytes[j]) else { return false }
                i = j
            }
            return true
        }
    }

    /// `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`.
    static func isValidTag(_ tag: String) -> Bool {
        let bytes = Array(tag.utf8)
        guard let first = bytes.first, bytes.count <= 128, isAlnum(first) || first == UInt8(ascii: "_") else {
            return false
        }
        return bytes.allSatisfy { isAlnum($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") }
    }

    /// `sha256:` + 64 or `sha512:` + 128 lowercase hex digits (what go-digest accepts).
    static func isValidDigest(_ digest: String) -> Bool {
        let parts = digest.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else { return false }
        let expectedLength: Int
        switch parts[0] {
        case "sha256": expectedLength = 64
        case "sha512": expectedLength = 128
        default: return false
        }
        let hex = parts[1].utf8
        return hex.count == expectedLength && hex.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }
}
