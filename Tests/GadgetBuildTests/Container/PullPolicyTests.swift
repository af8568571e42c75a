import Foundation
import Testing
@testable import GadgetBuild

/// An engine whose image store and registry are dictionaries, counting what it is asked.
final class FakeEngine: EngineAPI, @unchecked Sendable {
    enum Registry { case serves(LocalImage), fails(HTTPStatus: Int, message: String), streamFails(String) }

    private let lock = NSLock()
    private var store: [String: LocalImage]
    private let registry: Registry
    private(set) var pulls = 0
    private(set) var inspections = 0

    init(local: LocalImage?, registry: Registry, reference: ContainerImageReference) {
        self.store = local.map { [reference.description: $0] } ?? [:]
        self.registry = registry
    }

    func version() async throws -> EngineVersion { EngineVersion(kind: .docker, version: "fake", apiVersion: "1.41") }
    func info() async throws -> EngineInfo { EngineInfo(rootless: false, securityOptions: []) }

    func imageInspect(_ reference: ContainerImageReference) async throws -> LocalImage? {
        lock.withLock { inspections += 1; return store[reference.description] }
    }

    func pull(_ reference: ContainerImageReference, progress: @escaping @Sendable (PullProgress) -> Void) async throws {
        lock.withLock { pulls += 1 }
        switch registry {
        case .serves(let image):
            progress(PullProgress(id: "layer1", status: "Downloading", current: 5, total: 10))
            lock.withLock { store[reference.description] = image }
        case .fails(let status, let message):
            throw EngineError.engine(operation: "pull \(reference)", status: status, message: message)
        case .streamFails(let message):
            progress(PullProgress(id: reference.tag, status: "Pulling from x"))
            throw EngineError.engine(operation: "pull \(reference)", status: 200, message: message)
        }
    }

    func createContainer(_ spec: ContainerSpec) async throws -> String { "c0ffee" }
    func start(container: String) async throws {}
    func exec(container: String, argv: [String], workingDir: String?, environment: [String: String]) async throws -> ExecResult {
        ExecResult(exitCode: 0, stdout: Data(), stderr: Data())
    }
    func remove(container: String, force: Bool) async throws {}
}

@Suite("Builder image pull policy")
struct PullPolicyTests {
    static let reference = try! ContainerImageReference(parsing: "registry.example:5000/gadgetc/builder:ci")
    static let now = Date(timeIntervalSince1970: 1_800_000_000)
    static let fresh = LocalImage(id: "sha256:fresh", created: now.addingTimeInterval(-2 * 86_400))
    static let old = LocalImage(id: "sha256:old", created: now.addingTimeInterval(-45 * 86_400))
    static let remote = LocalImage(id: "sha256:remote", created: now)
    static let down = FakeEngine.Registry.fails(HTTPStatus: 500, message: "dial tcp 127.0.0.1:5056: connect: connection refused")

    func ensure(_ policy: PullPolicy, _ engine: FakeEngine) async throws -> BuilderImage.Resolution {
        try await BuilderImage.ensure(Self.reference, policy: policy, client: engine, now: Self.now)
    }

    @Test func defaultIsMissing() {
        #expect(PullPolicy.default == .missing)
        #expect(PullPolicy.allCases.map(\.rawValue) == ["always", "missing", "never"])
    }

    // always

    @Test func alwaysPullsEvenWhenPresent() async throws {
        let engine = FakeEngine(local: Self.fresh, registry: .serves(Self.remote), reference: Self.reference)
        let result = try await ensure(.always, engine)
        #expect(result.pulled && result.present == Self.remote && engine.pulls == 1)
    }

    @Test func alwaysFailsWhenPresentAndSaysSo() async throws {
        let engine = FakeEngine(local: Self.fresh, registry: Self.down, reference: Self.reference)
        let error = await #expect(throws: EngineError.self) { try await ensure(.always, engine) }
        let message = error?.description ?? ""
        #expect(message.contains("present locally"))
        #expect(message.contains("--builder-image-pull=missing"))
        #expect(message.contains("registry.example:5000") && message.contains("connection refused"))
    }

    @Test func alwaysFailsWhenAbsent() async throws {
        let engine = FakeEngine(local: nil, registry: .streamFails("manifest unknown"), reference: Self.reference)
        let error = await #expect(throws: EngineError.self) { try await ensure(.always, engine) }
        #expect(error == .pullFailed(image: Self.reference.description, registry: "registry.example:5000", reason: "manifest unknown"))
    }

    // missing

    @Test func missingUsesThePresentImageWithoutARegistry() async throws {
        let engine = FakeEngine(local: Self.fresh, registry: Self.down, reference: Self.reference)
        let result = try await ensure(.missing, engine)
        #expect(!result.pulled && result.present == Self.fresh && result.notes.isEmpty && engine.pulls == 0)
    }

    @Test func missingNotesAnOldImage() async throws {
        let engine = FakeEngine(local: Self.old, registry: Self.down, reference: Self.reference)
        let result = try await ensure(.missing, engine)
        #expect(!result.pulled && engine.pulls == 0)
        #expect(result.notes.count == 1)
        #expect(result.notes.first?.contains("45 days") == true)
        #expect(result.notes.first?.contains("may lack fixes") == true)
        #expect(result.notes.first?.contains("\n") == false)
    }

    @Test func missingPullsWhenAbsent() async throws {
        let engine = FakeEngine(local: nil, registry: .serves(Self.remote), reference: Self.reference)
        let seen = LockedList()
        let result = try await BuilderImage.ensure(Self.reference, policy: .missing, client: engine, now: Self.now) {
            seen.append($0)
        }
        #expect(result.pulled && result.present == Self.remote && engine.pulls == 1)
        #expect(seen.items == [PullProgress(id: "layer1", status: "Downloading", current: 5, total: 10)])
    }

    @Test func missingFailsWhenAbsentAndUnpullable() async throws {
        let engine = FakeEngine(local: nil, registry: Self.down, reference: Self.reference)
        let error = await #expect(throws: EngineError.self) { try await ensure(.missing, engine) }
        let message = error?.description ?? ""
        #expect(message.contains("not available locally"))
        #expect(message.contains("registry.example:5000") && message.contains("connection refused"))
    }

    // never

    @Test func neverUsesThePresentImage() async throws {
        let engine = FakeEngine(local: Self.old, registry: .serves(Self.remote), reference: Self.reference)
        let result = try await ensure(.never, engine)
        #expect(!result.pulled && result.present == Self.old && engine.pulls == 0)
    }

    @Test func neverFailsWhenAbsentWithoutARegistry() async throws {
        let engine = FakeEngine(local: nil, registry: .serves(Self.remote), reference: Self.reference)
        let error = await #expect(throws: EngineError.self) { try await ensure(.never, engine) }
        #expect(engine.pulls == 0)
        let message = error?.description ?? ""
        #expect(message.hasPrefix("image registry.example:5000/gadgetc/builder:ci is not available locally and pull is disabled"))
        #expect(message.contains("docker pull registry.example:5000/gadgetc/builder:ci"))
        #expect(message.contains("--builder-image-pull=missing"))
    }

    @Test func engineFailuresOtherThanThePullPassThrough() async throws {
        struct Unreachable: EngineAPI {
            func version() async throws -> EngineVersion { throw EngineError.unreachable(path: "/x.sock", reason: "refused") }
            func info() async throws -> EngineInfo { throw EngineError.unreachable(path: "/x.sock", reason: "refused") }
            func imageInspect(_ r: ContainerImageReference) async throws -> LocalImage? { nil }
            func pull(_ r: ContainerImageReference, progress: @escaping @Sendable (PullProgress) -> Void) async throws {
                throw EngineError.unreachable(path: "/x.sock", reason: "refused")
            }
            func createContainer(_ spec: ContainerSpec) async throws -> String { "" }
            func start(container: String) async throws {}
            func exec(container: String, argv: [String], workingDir: String?, environment: [String: String]) async throws -> ExecResult {
                ExecResult(exitCode: 0, stdout: Data(), stderr: Data())
            }
            func remove(container: String, force: Bool) async throws {}
        }
        await #expect(throws: EngineError.unreachable(path: "/x.sock", reason: "refused")) {
            try await BuilderImage.ensure(Self.reference, policy: .missing, client: Unreachable())
        }
    }
}

final class LockedList: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [PullProgress] = []
    func append(_ item: PullProgress) { lock.withLock { storage.append(item) } }
    var items: [PullProgress] { lock.withLock { storage } }
}
