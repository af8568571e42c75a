import Testing
@testable import GadgetBuild

@Suite("Engine socket discovery")
struct EngineSocketTests {
    func discover(option: String? = nil, _ environment: [String: String] = [:], existing: Set<String>) throws -> EngineSocket {
        try EngineSocket.discover(option: option, environment: environment, fileExists: { existing.contains($0) })
    }

    @Test func optionWinsOverEnvironment() throws {
        let socket = try discover(
            option: "unix:///tmp/flag.sock",
            ["DOCKER_HOST": "unix:///tmp/env.sock", "CONTAINER_HOST": "unix:///tmp/c.sock"],
            existing: ["/tmp/flag.sock", "/tmp/env.sock", "/tmp/c.sock", "/var/run/docker.sock"]
        )
        #expect(socket == EngineSocket(path: "/tmp/flag.sock", source: .option))
    }

    @Test func optionMayBeAPlainPath() throws {
        #expect(try discover(option: "/tmp/flag.sock", existing: ["/tmp/flag.sock"]).path == "/tmp/flag.sock")
    }

    @Test func dockerHostBeforeContainerHost() throws {
        let socket = try discover(
            ["DOCKER_HOST": "unix:///tmp/env.sock", "CONTAINER_HOST": "unix:///tmp/c.sock"],
            existing: ["/tmp/env.sock", "/tmp/c.sock"]
        )
        #expect(socket == EngineSocket(path: "/tmp/env.sock", source: .dockerHost))
    }

    @Test func containerHostBeforeDefaults() throws {
        let socket = try discover(["CONTAINER_HOST": "unix:///run/user/1000/podman/podman.sock"],
                                  existing: ["/run/user/1000/podman/podman.sock", "/var/run/docker.sock"])
        #expect(socket.source == .containerHost)
    }

    @Test func emptyVariablesAreUnset() throws {
        let socket = try discover(["DOCKER_HOST": "", "CONTAINER_HOST": ""], existing: ["/var/run/docker.sock"])
        #expect(socket == EngineSocket(path: "/var/run/docker.sock", source: .dockerDefault))
    }

    @Test func defaultsInOrder() throws {
        let env = ["XDG_RUNTIME_DIR": "/run/user/1000"]
        #expect(try discover(env, existing: ["/var/run/docker.sock", "/run/podman/podman.sock"]).source == .dockerDefault)
        #expect(try discover(env, existing: ["/run/podman/podman.sock", "/run/user/1000/podman/podman.sock"]).source == .podmanRootful)
        let rootless = try discover(env, existing: ["/run/user/1000/podman/podman.sock"])
        #expect(rootless == EngineSocket(path: "/run/user/1000/podman/podman.sock", source: .podmanRootless))
    }

    @Test func aNamedSocketThatIsMissingIsReportedNotSkipped() {
        #expect(throws: EngineError.namedSocketMissing(path: "/tmp/gone.sock", source: "DOCKER_HOST")) {
            try discover(["DOCKER_HOST": "unix:///tmp/gone.sock"], existing: ["/var/run/docker.sock"])
        }
    }

    @Test func tcpHostsAreRefused() {
        #expect(throws: EngineError.unsupportedHost("tcp://127.0.0.1:2375", source: "DOCKER_HOST")) {
            try discover(["DOCKER_HOST": "tcp://127.0.0.1:2375"], existing: [])
        }
        #expect(throws: EngineError.unsupportedHost("ssh://me@host", source: "--container-host")) {
            try discover(option: "ssh://me@host", existing: [])
        }
    }

    @Test func nothingFoundListsWhereItLooked() throws {
        let error = #expect(throws: EngineError.self) {
            try discover(["XDG_RUNTIME_DIR": "/run/user/1000/"], existing: [])
        }
        #expect(error == .socketNotFound(searched: [
            "/var/run/docker.sock", "/run/podman/podman.sock", "/run/user/1000/podman/podman.sock",
        ]))
        let message = error?.description ?? ""
        #expect(message.contains("DOCKER_HOST") && message.contains("systemctl"))
        #expect(!message.contains("\n"))
    }

    @Test func socketPathIsTheURLHostPercentEncoded() {
        let url = EngineClient.url(socketPath: "/tmp/my dir/docker.sock", path: "/images/create",
                                   query: [("fromImage", "127.0.0.1:5055/a/b"), ("tag", "ci")])
        #expect(url == "http+unix://%2Ftmp%2Fmy%20dir%2Fdocker.sock/images/create?fromImage=127.0.0.1%3A5055%2Fa%2Fb&tag=ci")
    }

    @Test func rootlessFromSecurityOptions() {
        #expect(EngineClient.isRootless(securityOptions: ["name=seccomp,profile=default", "name=rootless"]))
        #expect(EngineClient.isRootless(securityOptions: ["name=rootless,foo=bar"]))
        #expect(!EngineClient.isRootless(securityOptions: ["name=seccomp,profile=default", "name=cgroupns"]))
    }
}
