import Foundation

/// An image name as a container engine resolves it, always fully qualified.
///
/// Docker's normalization (distribution/reference): a first component with a '.', a ':' or equal
/// to `localhost` is a registry, otherwise the registry is `docker.io`, and a one-component name on
/// `docker.io` lives under `library/`. A name with neither tag nor digest gets `latest`. The full
/// form is what gadgetc sends to every engine: Podman keeps short names as `localhost/NAME`.
///
///     ubuntu                         → docker.io/library/ubuntu:latest
///     ghcr.io/org/builder:v1         → registry ghcr.io, fromImage ghcr.io/org/builder, tag v1
///     127.0.0.1:5055/x/y@sha256:…    → fromImage 127.0.0.1:5055/x/y, tag sha256:…
public struct ContainerImageReference: Hashable, Sendable, CustomStringConvertible {
    /// The registry host with its port: `ghcr.io`, `127.0.0.1:5055`, `docker.io`.
    public var registry: String
    /// The repository including the registry: `ghcr.io/inspektor-gadget/gadget-builder`.
    public var repository: String
    /// The tag; `nil` only when the reference is given by digest alone.
    public var tag: String?
    /// The digest (`sha256:…`) when the reference pins one.
    public var digest: String?

    public init(parsing text: String) throws {
        guard !text.isEmpty else { throw EngineError.invalidReference(text, reason: "the name is empty") }
        guard !text.contains(where: { $0.isWhitespace }) else {
            throw EngineError.invalidReference(text, reason: "it contains white space")
        }
        var name = Substring(text)
        var digest: String?
        if let at = name.firstIndex(of: "@") {
            let value = String(name[name.index(after: at)...])
            let parts = value.split(separator: ":", maxSplits: 1)
            guard parts.count == 2, !parts[0].isEmpty,
                  parts[1].count >= 32, parts[1].allSatisfy({ $0.isHexDigit && !$0.isUppercase })
            else {
                throw EngineError.invalidReference(text, reason: "\"\(value)\" is not a digest (algorithm:hex)")
            }
            digest = value
            name = name[..<at]
        }
        var tag: String?
        // A ':' after the last '/' separates the tag; one before it belongs to a registry port.
        if let colon = name.lastIndex(of: ":"), !name[colon...].contains("/") {
            let value = String(name[name.index(after: colon)...])
            guard ContainerImageReference.isValidTag(value) else {
                throw EngineError.invalidReference(text, reason: "\"\(value)\" is not a valid tag")
            }
            tag = value
            name = name[..<colon]
        }
        guard !name.isEmpty else { throw EngineError.invalidReference(text, reason: "the repository is empty") }
        var components = name.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard !components.contains(where: \.isEmpty) else {
            throw EngineError.invalidReference(text, reason: "it has an empty path component")
        }
        let registry: String
        if components.count > 1,
           components[0].contains(".") || components[0].contains(":") || components[0] == "localhost" {
            registry = components.removeFirst()
        } else {
            registry = "docker.io"
        }
        let resolvedRegistry = registry == "index.docker.io" ? "docker.io" : registry
        if resolvedRegistry == "docker.io" && components.count == 1 { components.insert("library", at: 0) }
        let path = components.joined(separator: "/")
        guard path == path.lowercased() else {
            throw EngineError.invalidReference(text, reason: "the repository name \"\(path)\" must be lowercase")
        }
        guard path.allSatisfy({ $0.isLetter || $0.isNumber || "._-/".contains($0) }) else {
            throw EngineError.invalidReference(text, reason: "the repository name \"\(path)\" has characters other than a-z, 0-9, '.', '_', '-' and '/'")
        }
        self.registry = resolvedRegistry
        self.repository = resolvedRegistry + "/" + path
        self.digest = digest
        self.tag = tag ?? (digest == nil ? "latest" : nil)
    }

    /// The full reference: `repository[:tag][@digest]`.
    public var description: String {
        var text = repository
        if let tag { text += ":" + tag }
        if let digest { text += "@" + digest }
        return text
    }

    /// The `fromImage` parameter of `POST /images/create`.
    public var fromImage: String { repository }

    /// The `tag` parameter of `POST /images/create`: the digest when there is one (it pins more
    /// than a tag), else the tag. Never empty: an empty tag makes the engine pull every tag.
    public var tagParameter: String { digest ?? tag ?? "latest" }

    static func isValidTag(_ tag: String) -> Bool {
        guard let first = tag.first, tag.count <= 128, first.isLetter || first.isNumber || first == "_" else { return false }
        return tag.allSatisfy { ($0.isASCII && ($0.isLetter || $0.isNumber)) || "._-".contains($0) }
    }
}
