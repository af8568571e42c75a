import Foundation
import Testing
@testable import GadgetBuild

/// Every cell of {always, missing, never} × {image present, absent} × {registry up, down} against
/// the real dockerd and registry of `.ci/testenv/up`. "Down" is a loopback port where nothing
/// listens; "absent" removes the reference's tag from the store (the layers stay under the
/// stand-in image's own tag, so a pull only fetches the manifest).
@Suite(
    "Pull policy against a real engine and registry",
    .serialized,
    .enabled(if: ContainerTestEnvironment.isConfigured, ContainerTestEnvironment.skipReason)
)
struct PullPolicyMatrixTests {
    struct Cell: CustomTestStringConvertible, Sendable {
        var policy: PullPolicy
        var present: Bool
        var registryUp: Bool
        var testDescription: String {
            "\(policy.rawValue), image \(present ? "present" : "absent"), registry \(registryUp ? "up" : "down")"
        }
    }

    static let cells: [Cell] = PullPolicy.allCases.flatMap { policy in
        [true, false].flatMap { present in [true, false].map { Cell(policy: policy, present: present, registryUp: $0) } }
    }

    @Test(arguments: cells)
    func cell(_ cell: Cell) async throws {
        let env = try ContainerTestEnvironment.load()
        let client = env.client
        let registry = cell.registryUp ? env.registry : env.closedRegistry
        let reference = try ContainerImageReference(parsing: "\(registry)/gadgetc/builder:ci")
        if cell.present {
            try await client.tagImage(env.localImage, as: reference)
        } else {
            try await client.removeImage(reference)
        }
        let wasPresent = try await client.imageInspect(reference) != nil
        try #require(wasPresent == cell.present, "setting up the cell")

        let outcome: Result<BuilderImage.Resolution, EngineError>
        do {
            outcome = .success(try await BuilderImage.ensure(reference, policy: cell.policy, client: client))
        } catch let error as EngineError {
            outcome = .failure(error)
        }
        let nowPresent = try await client.imageInspect(reference) != nil

        switch (cell.policy, cell.present, cell.registryUp) {
        case (.always, _, true), (.missing, false, true):
            let resolution = try outcome.get()
            #expect(resolution.pulled)
            #expect(nowPresent)
        case (.missing, true, _), (.never, true, _):
            let resolution = try outcome.get()
            #expect(!resolution.pulled)
            #expect(resolution.notes.isEmpty, "the stand-in image is new")
        case (.always, true, false):
            let message = try #require(failure(outcome)).description
            #expect(message.hasPrefix("pulling \(reference) from \(env.closedRegistry) failed: "))
            #expect(message.contains("connection refused"))
            #expect(message.contains("the image is present locally: pass `--builder-image-pull=missing`"))
            #expect(nowPresent, "a failed pull keeps the local image")
        case (.always, false, false), (.missing, false, false):
            let message = try #require(failure(outcome)).description
            #expect(message.hasPrefix("image \(reference) is not available locally and pulling it from \(env.closedRegistry) failed: "))
            #expect(message.contains("connection refused"))
        case (.never, false, _):
            let message = try #require(failure(outcome)).description
            #expect(message.hasPrefix("image \(reference) is not available locally and pull is disabled"))
            #expect(message.contains("`docker pull \(reference)`"))
            #expect(message.contains("`--builder-image-pull=missing`"))
            #expect(!nowPresent, "never must not pull")
        }
    }

    @Test func aTagTheRegistryDoesNotHave() async throws {
        let env = try ContainerTestEnvironment.load()
        let reference = try ContainerImageReference(parsing: "\(env.registry)/gadgetc/builder:no-such-tag")
        let error = await #expect(throws: EngineError.self) {
            try await BuilderImage.ensure(reference, policy: .missing, client: env.client)
        }
        let message = error?.description ?? ""
        #expect(message.hasPrefix("image \(reference) is not available locally and pulling it from \(env.registry) failed: "))
        #expect(message.contains("manifest unknown") || message.contains("not found"), "\(message)")
    }

    @Test func pullReportsProgressAndRecreatesAnAbsentImage() async throws {
        let env = try ContainerTestEnvironment.load()
        let client = env.client
        try await client.removeImage(env.builderImage)
        let events = ProgressLog()
        try await client.pull(env.builderImage) { events.append($0) }
        #expect(!events.items.isEmpty)
        #expect(events.items.contains { $0.status.contains("Status:") || $0.status.contains("Digest:") })
        #expect(try await client.imageInspect(env.builderImage) != nil)
    }

    private func failure(_ outcome: Result<BuilderImage.Resolution, EngineError>) -> EngineError? {
        if case .failure(let error) = outcome { return error }
        return nil
    }
}

final class ProgressLog: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [PullProgress] = []
    func append(_ item: PullProgress) { lock.withLock { storage.append(item) } }
    var items: [PullProgress] { lock.withLock { storage } }
}
