import Foundation

/// When gadgetc asks a registry for the builder image (`--builder-image-pull`).
///
/// The default is `missing`, not ig's `always`: `always` fails offline even when the image is
/// present, and building offline with a pre-pulled builder image is a use case gadgetc serves.
public enum PullPolicy: String, CaseIterable, Codable, Sendable {
    /// Pull every time; a failed pull is an error even when an older copy is present.
    case always
    /// Pull only when the image is not present locally.
    case missing
    /// Never contact a registry; the image must be present locally.
    case never

    public static let `default` = PullPolicy.missing
}

/// The builder image of the container toolchain, and the pull policy that decides where it comes from.
public enum BuilderImage {
    /// Inspektor Gadget's official builder image, pinned to the release gadgetc matches (ig v0.51.1).
    public static let defaultReference = "ghcr.io/inspektor-gadget/gadget-builder:v0.51.1"

    /// A local image older than this gets a note that it may lack fixes.
    public static let staleAge: TimeInterval = 30 * 24 * 60 * 60

    /// What `ensure` found or did.
    public struct Resolution: Hashable, Sendable {
        /// The image as it is now in the engine's store.
        public var present: LocalImage
        /// True when this call pulled it (an `always` pull that found it up to date counts).
        public var pulled: Bool
        /// One-line remarks for the user (a stale local image).
        public var notes: [String]
    }

    /// Makes `reference` present in the engine's store according to `policy`.
    ///
    /// - always: pull; a failed pull is an error, which says so when the image is present locally
    ///   and suggests `--builder-image-pull=missing`.
    /// - missing: pull only when absent; an absent image that cannot be pulled is an error naming
    ///   the registry and the reason. A local image older than 30 days gets a note.
    /// - never: never contact a registry; an absent image is an error saying how to get it.
    public static func ensure(
        _ reference: ContainerImageReference,
        policy: PullPolicy,
        client: some EngineAPI,
        now: Date = Date(),
        progress: @escaping @Sendable (PullProgress) -> Void = { _ in }
    ) async throws -> Resolution {
        let local = try await client.imageInspect(reference)
        switch policy {
        case .never:
            guard let local else { throw EngineError.imageNotAvailableLocally(image: reference.description) }
            return Resolution(present: local, pulled: false, notes: [])
        case .missing:
            if let local {
                return Resolution(present: local, pulled: false, notes: staleNote(reference, local, now: now).map { [$0] } ?? [])
            }
            do {
                try await client.pull(reference, progress: progress)
            } catch let EngineError.engine(_, _, message) {
                throw EngineError.pullFailed(image: reference.description, registry: reference.registry, reason: message)
            }
            return Resolution(present: try await inspectAfterPull(reference, client: client), pulled: true, notes: [])
        case .always:
            do {
                try await client.pull(reference, progress: progress)
            } catch let EngineError.engine(_, _, message) {
                if local != nil {
                    throw EngineError.pullFailedWithLocalImage(image: reference.description, registry: reference.registry, reason: message)
                }
                throw EngineError.pullFailed(image: reference.description, registry: reference.registry, reason: message)
            }
            return Resolution(present: try await inspectAfterPull(reference, client: client), pulled: true, notes: [])
        }
    }

    /// The note for a local image built more than `staleAge` ago, if it is.
    static func staleNote(_ reference: ContainerImageReference, _ image: LocalImage, now: Date) -> String? {
        guard let created = image.created, now.timeIntervalSince(created) > staleAge else { return nil }
        let days = Int(now.timeIntervalSince(created) / 86_400)
        return "note: the local builder image \(reference) was built \(days) days ago and may lack fixes; `--builder-image-pull=always` updates it"
    }

    private static func inspectAfterPull(_ reference: ContainerImageReference, client: some EngineAPI) async throws -> LocalImage {
        guard let image = try await client.imageInspect(reference) else {
            throw EngineError.invalidResponse(operation: "pull \(reference)", reason: "the pull reported success but the image is not in the store")
        }
        return image
    }
}
