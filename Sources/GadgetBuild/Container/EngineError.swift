import Foundation

/// Everything that can go wrong between gadgetc and a container engine, with one-line messages
/// that say what to do. Engine and registry messages are passed through verbatim.
public enum EngineError: Error, Equatable, CustomStringConvertible {
    /// No socket at any of the places looked at.
    case socketNotFound(searched: [String])
    /// A socket named explicitly (flag or environment) does not exist.
    case namedSocketMissing(path: String, source: String)
    /// The socket exists but this user may not connect to it.
    case permissionDenied(path: String)
    /// The engine address is not a unix socket (tcp://, ssh://, …).
    case unsupportedHost(String, source: String)
    /// Connecting or talking to the socket failed below HTTP.
    case unreachable(path: String, reason: String)
    /// The engine answered with an HTTP error status.
    case engine(operation: String, status: Int, message: String)
    /// The engine answered something gadgetc cannot read.
    case invalidResponse(operation: String, reason: String)
    case invalidReference(String, reason: String)
    /// `--builder-image-pull=never` and the image is not in the engine's store.
    case imageNotAvailableLocally(image: String)
    /// `--builder-image-pull=always`, the pull failed, and an older copy is present locally.
    case pullFailedWithLocalImage(image: String, registry: String, reason: String)
    /// The image is absent and pulling it failed.
    case pullFailed(image: String, registry: String, reason: String)

    public var description: String {
        switch self {
        case .socketNotFound(let searched):
            return "no container engine found (looked for \(searched.joined(separator: ", "))): start Docker (`sudo systemctl start docker`) or Podman (`sudo systemctl start podman.socket`, or `systemctl --user start podman.socket` for rootless), or set DOCKER_HOST=unix:///path/to/engine.sock"
        case .namedSocketMissing(let path, let source):
            return "there is no container engine socket at \(path) (from \(source)): start the engine that should listen there, or point gadgetc at another socket (`--container-host`, DOCKER_HOST)"
        case .permissionDenied(let path):
            return "permission denied on the container engine socket \(path): add your user to the group that owns it (for Docker `sudo usermod -aG docker $USER`, then log in again), use rootless Podman (`systemctl --user start podman.socket`), or run as root"
        case .unsupportedHost(let value, let source):
            return "\(source)=\(value) is not supported: gadgetc talks to container engines over unix sockets only (unix:///path/to/engine.sock)"
        case .unreachable(let path, let reason):
            return "cannot talk to the container engine at \(path): \(reason); check that the engine is running"
        case .engine(let operation, let status, let message):
            return "the container engine could not \(operation): \(message) (HTTP \(status))"
        case .invalidResponse(let operation, let reason):
            return "the container engine's answer to \(operation) is not understood: \(reason)"
        case .invalidReference(let text, let reason):
            return "invalid image reference \"\(text)\": \(reason)"
        case .imageNotAvailableLocally(let image):
            return "image \(image) is not available locally and pull is disabled: get it with `docker pull \(image)` (or `podman pull \(image)`), or pass `--builder-image-pull=missing`"
        case .pullFailedWithLocalImage(let image, let registry, let reason):
            return "pulling \(image) from \(registry) failed: \(reason); the image is present locally: pass `--builder-image-pull=missing` to use the local copy"
        case .pullFailed(let image, let registry, let reason):
            return "image \(image) is not available locally and pulling it from \(registry) failed: \(reason)"
        }
    }
}
