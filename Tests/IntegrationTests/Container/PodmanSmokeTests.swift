import Foundation
import Testing
@testable import GadgetBuild

/// The podman that `.ci/testenv/up` starts (rootful `podman system service` on a unix socket, runc,
/// no network), named by PODMAN_HOST in the env file, with the stand-in builder image loaded as
/// GADGETC_TESTENV_PODMAN_IMAGE. Skips, and says why, when the env file has no PODMAN_HOST.
enum PodmanTestEnvironment {
    static var values: [String: String] {
        guard let path = ProcessInfo.processInfo.environment[ContainerTestEnvironment.variable], !path.isEmpty,
              let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [:] }
        var values: [String: String] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let equals = line.firstIndex(of: "=") else { continue }
            values[String(line[..<equals])] = String(line[line.index(after: equals)...])
        }
        return values
    }

    static var isConfigured: Bool { !(values["PODMAN_HOST"] ?? "").isEmpty && !(values["GADGETC_TESTENV_PODMAN_IMAGE"] ?? "").isEmpty }
    static let skipReason: Comment = "no PODMAN_HOST in $GADGETC_TESTENV: run `.ci/testenv/up` (without GADGETC_TESTENV_PODMAN=off) to run the podman smoke tests"

    /// `unix:///path` as written in the env file.
    static var host: String { values["PODMAN_HOST"] ?? "" }
    static var socketPath: String { host.hasPrefix("unix://") ? String(host.dropFirst("unix://".count)) : host }
    static var image: String { values["GADGETC_TESTENV_PODMAN_IMAGE"] ?? "" }
    static var client: EngineClient { EngineClient(socket: EngineSocket(path: socketPath, source: .option)) }
}

@Suite("Podman smoke", .serialized, .enabled(if: PodmanTestEnvironment.isConfigured, PodmanTestEnvironment.skipReason))
struct PodmanSmokeTests {
    /// Where the tests point DOCKER_HOST: a socket that does not exist, so that only
    /// --container-host can have led gadgetc to an engine.
    let noDocker = ["DOCKER_HOST": "unix:///nonexistent/gadgetc-podman-smoke.sock", "CONTAINER_HOST": ""]

    @Test func theSocketIsPodman() async throws {
        let version = try await PodmanTestEnvironment.client.version()
        #expect(version.kind == .podman, "\(PodmanTestEnvironment.host) answers as \(version.kind) \(version.version)")
    }

    /// The real gadgetc builds a sample through podman's Docker-compatible API and leaves no container.
    @Test(.timeLimit(.minutes(5)))
    func buildsThroughPodmanAndLeavesNoContainer() async throws {
        let work = try Fixtures.temporaryDirectory("podman")
        defer { try? FileManager.default.removeItem(at: work) }
        let client = PodmanTestEnvironment.client
        let before = Set(try await client.containers(label: "io.gadgetc.build"))
        // --no-cache and a fresh cache folder: the compile must run in a podman container, not come
        // from objects the docker tests cached for the same image.
        let result = try await Fixtures.run(
            [Fixtures.gadgetc, "build", Fixtures.samples.appendingPathComponent("top_protocols").path,
             "--toolchain", "container", "--container-host", PodmanTestEnvironment.host,
             "--builder-image", PodmanTestEnvironment.image, "--builder-image-pull", "never",
             "--no-cache", "--oci-layout", work.appendingPathComponent("layout").path],
            environment: noDocker.merging(["GADGETC_CACHE_DIR": work.appendingPathComponent("cache").path]) { $1 })
        #expect(result.succeeded, "gadgetc build through podman failed:\n\(result.standardError)")
        #expect(result.standardOutput.hasPrefix("Successfully built ghcr.io/inspektor-gadget/gadget/top_protocols:latest@sha256:"),
                "\(result.standardOutput)")
        #expect(result.standardError.contains("in the builder container"), "\(result.standardError)")
        let index = try JSONSerialization.jsonObject(with: Data(contentsOf: work.appendingPathComponent("layout/index.json"))) as? [String: Any]
        #expect((index?["manifests"] as? [Any])?.count == 1)

        let after = Set(try await client.containers(label: "io.gadgetc.build"))
        #expect(after.isEmpty, "containers left in podman: \(after) (before the build: \(before))")
    }

    /// `doctor --json --container-host` reports podman's socket as the engine.
    @Test func doctorSeesPodman() async throws {
        let result = try await Fixtures.run(
            [Fixtures.gadgetc, "doctor", "--json", "--container-host", PodmanTestEnvironment.host], environment: noDocker)
        if result.standardError.contains("Unknown option '--container-host'") {
            withKnownIssue("gadgetc doctor does not take --container-host yet") {
                Issue.record("doctor: \(result.standardError)")
            }
            return
        }
        #expect(result.succeeded, "\(result.standardError)")
        let report = try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [String: Any]
        let engine = (report?["capabilities"] as? [[String: Any]])?.first { $0["name"] as? String == "container engine" }
        #expect(engine?["found"] as? Bool == true, "\(result.standardOutput)")
        #expect(engine?["path"] as? String == PodmanTestEnvironment.socketPath, "\(String(describing: engine))")
    }
}
