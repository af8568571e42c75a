import Foundation
import Testing
@testable import GadgetBuild

/// The team's cache against the test environment's real registry (Debian's docker-registry on
/// loopback): two checkouts in two folders with two local caches, the real gadgetc, the real clang.
@Suite(.serialized, .enabled(if: ContainerTestEnvironment.isConfigured, ContainerTestEnvironment.skipReason))
struct RemoteCacheTests {
    /// A copy of a sample at a path of its own, with its own cache and layout.
    struct Checkout {
        let root: URL
        var gadget: URL { root.appendingPathComponent("checkout/trace_exec") }

        init() throws {
            root = try Fixtures.temporaryDirectory("remote")
            try FileManager.default.createDirectory(at: gadget.deletingLastPathComponent(), withIntermediateDirectories: true)
            try FileManager.default.copyItem(at: Fixtures.samples.appendingPathComponent("trace_exec"), to: gadget)
        }

        func build(_ extra: [String], environment: [String: String] = [:]) async throws -> (ProcessResult, BuildOutcome?) {
            let result = try await Fixtures.run([Fixtures.gadgetc, "build", gadget.path, "-I", Fixtures.bundledHeaders, "--json",
                                                 "--oci-layout", root.appendingPathComponent("layout").path, "-t", "remote:test"] + extra,
                                                environment: ["GADGETC_CACHE_DIR": root.appendingPathComponent("cache").path, "SOURCE_DATE_EPOCH": "0"]
                                                    .merging(environment) { $1 })
            return (result, try? JSONDecoder().decode(BuildOutcome.self, from: Data(result.standardOutput.utf8)))
        }

        func remove() { try? FileManager.default.removeItem(at: root) }
    }

    static func repository(_ env: ContainerTestEnvironment) -> String {
        "\(env.registry)/gadgetc-cache-\(UUID().uuidString.lowercased().prefix(8))"
    }

    @Test func aSecondCheckoutElsewhereBuildsWithoutCompilingAndGetsTheSameImage() async throws {
        let env = try ContainerTestEnvironment.load()
        let repository = Self.repository(env)
        let first = try Checkout(), second = try Checkout()
        defer { first.remove(); second.remove() }
        let (uploaded, made) = try await first.build(["--remote-cache", repository, "--remote-cache-upload"])
        try #require(uploaded.succeeded, "\(uploaded.standardError)")
        #expect(made?.remoteCache?.uploads == 2, "\(String(describing: made?.remoteCache))")

        // Both compiles come from the registry (a hit is only counted when the object is used instead of clang).
        let (fetched, taken) = try await second.build(["--remote-cache", repository])
        try #require(fetched.succeeded, "\(fetched.standardError)")
        #expect(taken?.digest == made?.digest)
        #expect(taken?.remoteCache?.hits == 2 && taken?.remoteCache?.misses == 0, "\(String(describing: taken?.remoteCache))")
        // `cache stats` keeps the running totals, with the compile time the first machine spent.
        let stats = try await Fixtures.run([Fixtures.gadgetc, "cache", "stats", "--json"], environment: ["GADGETC_CACHE_DIR": second.root.appendingPathComponent("cache").path])
        let totals = try JSONDecoder().decode(CacheStatistics.self, from: Data(stats.standardOutput.utf8)).remote
        #expect(totals?.hits == 2 && (totals?.millisecondsSaved ?? 0) > 0 && (totals?.bytesDown ?? 0) > 0, "\(stats.standardOutput)")
        // The local cache was back-filled: another request (no shortcut from the last build) asks the registry nothing.
        let (again, local) = try await second.build(["--remote-cache", repository, "--no-validate-metadata"])
        try #require(again.succeeded, "\(again.standardError)")
        #expect((local?.remoteCache?.hits ?? 0) == 0 && (local?.remoteCache?.misses ?? 0) == 0, "\(String(describing: local?.remoteCache))")
    }

    @Test func pushLocalSeedsTheTeamCacheFromABuildThatHadNone() async throws {
        let env = try ContainerTestEnvironment.load()
        let repository = Self.repository(env)
        let first = try Checkout(), second = try Checkout()
        defer { first.remove(); second.remove() }
        // A very first build (an empty cache) compiles with a clang taken by its name; its records get their
        // portable key all the same, once the compiler is identified beside the compile.
        let cache = ["GADGETC_CACHE_DIR": first.root.appendingPathComponent("cache").path]
        let (built, made) = try await first.build([])
        try #require(built.succeeded, "\(built.standardError)")
        let push = try await Fixtures.run([Fixtures.gadgetc, "cache", "push-local", "--remote-cache", repository, "--json"], environment: cache)
        try #require(push.succeeded, "\(push.standardError)")
        let summary = try JSONDecoder().decode(RemoteCachePush.Summary.self, from: Data(push.standardOutput.utf8))
        #expect(summary.pushed == 2 && summary.failed == 0, "\(push.standardOutput)")
        let again = try await Fixtures.run([Fixtures.gadgetc, "cache", "push-local", "--remote-cache", repository, "--json"], environment: cache)
        #expect(try JSONDecoder().decode(RemoteCachePush.Summary.self, from: Data(again.standardOutput.utf8)).present == 2)
        let (fetched, taken) = try await second.build(["--remote-cache", repository])
        try #require(fetched.succeeded, "\(fetched.standardError)")
        #expect(taken?.remoteCache?.hits == 2 && taken?.digest == made?.digest)
    }

    /// A new repository (CI starting a cache per release) gets its blobs mounted from the last one, not sent again.
    @Test func uploadsMountBlobsFromAnotherRepositoryOfTheRegistry() async throws {
        let env = try ContainerTestEnvironment.load()
        let old = Self.repository(env), new = Self.repository(env)
        let first = try Checkout(), second = try Checkout()
        defer { first.remove(); second.remove() }
        let (uploaded, _) = try await first.build(["--remote-cache", old, "--remote-cache-upload"])
        try #require(uploaded.succeeded, "\(uploaded.standardError)")
        let cache = ["GADGETC_CACHE_DIR": first.root.appendingPathComponent("cache").path]
        let oldName = String(old.split(separator: "/", maxSplits: 1)[1])
        let push = try await Fixtures.run([Fixtures.gadgetc, "cache", "push-local", "--remote-cache", new, "--mount-from", oldName, "--json"],
                                          environment: cache)
        try #require(push.succeeded, "\(push.standardError)")
        let summary = try JSONDecoder().decode(RemoteCachePush.Summary.self, from: Data(push.standardOutput.utf8))
        // Each compile's object and record: mounted, no byte sent.
        #expect(summary.pushed == 2 && summary.mounted == 4 && summary.bytesUp == 0, "\(push.standardOutput)")
        let (fetched, taken) = try await second.build(["--remote-cache", new])
        try #require(fetched.succeeded, "\(fetched.standardError)")
        #expect(taken?.remoteCache?.hits == 2, "\(String(describing: taken?.remoteCache))")
        // A source that is not a repository name is refused before anything is sent.
        let bad = try await Fixtures.run([Fixtures.gadgetc, "cache", "push-local", "--remote-cache", new, "--mount-from", "Not A Repo"], environment: cache)
        #expect(!bad.succeeded && bad.standardError.contains("is not a repository to mount blobs from"), "\(bad.standardError)")
    }

    @Test func gadgetsOfATeamDoNotOverwriteEachOthersEntries() async throws {
        let env = try ContainerTestEnvironment.load()
        let repository = Self.repository(env)
        var digests: [[String]] = []
        var hits: [Int] = []
        for round in 0..<2 {
            let root = try Fixtures.temporaryDirectory("remote-team")
            defer { try? FileManager.default.removeItem(at: root) }
            let folders = try ["trace_exec", "top_protocols", "trace_signal"].map { name -> String in
                let folder = root.appendingPathComponent("src/\(name)")
                try FileManager.default.createDirectory(at: folder.deletingLastPathComponent(), withIntermediateDirectories: true)
                try FileManager.default.copyItem(at: Fixtures.samples.appendingPathComponent(name), to: folder)
                return folder.path
            }
            let result = try await Fixtures.run([Fixtures.gadgetc, "build", "-I", Fixtures.bundledHeaders, "--json", "--oci-layout",
                                                 root.appendingPathComponent("layout").path, "--remote-cache", repository]
                                                + (round == 0 ? ["--remote-cache-upload"] : []) + folders,
                                                environment: ["GADGETC_CACHE_DIR": root.appendingPathComponent("cache").path, "SOURCE_DATE_EPOCH": "0"])
            try #require(result.succeeded, "\(result.standardError)")
            let outcomes = try JSONDecoder().decode([GadgetResultProbe].self, from: Data(result.standardOutput.utf8))
            digests.append(outcomes.compactMap { $0.outcome?.digest })
            hits.append(outcomes.compactMap { $0.outcome?.remoteCache?.hits }.max() ?? -1)
        }
        #expect(digests[0] == digests[1] && digests[0].count == 3)
        #expect(hits[1] == 6, "the second round took \(hits[1]) of 6 compiles from the registry")
    }

    @Test func readOnlyUnlessUploadIsAsked() async throws {
        let env = try ContainerTestEnvironment.load()
        let repository = Self.repository(env)
        let checkout = try Checkout()
        defer { checkout.remove() }
        let (result, outcome) = try await checkout.build(["--remote-cache", repository])
        try #require(result.succeeded, "\(result.standardError)")
        #expect(outcome?.remoteCache?.uploads == 0 && outcome?.remoteCache?.misses == 2)
        let name = repository.split(separator: "/", maxSplits: 1).last ?? ""
        let tags = try await Fixtures.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "http://\(env.registry)/v2/\(name)/tags/list"])
        #expect(tags.standardOutput == "404", "the repository exists: \(tags.standardOutput)")
    }

    @Test func aRegistryThatIsDownCostsOneWarningLine() async throws {
        let env = try ContainerTestEnvironment.load()
        let checkout = try Checkout()
        defer { checkout.remove() }
        let (result, outcome) = try await checkout.build(["--remote-cache", "\(env.closedRegistry)/cache", "--remote-cache-upload"])
        try #require(result.succeeded, "\(result.standardError)")
        let warnings = result.standardError.split(separator: "\n").filter { $0.contains("remote cache") }
        #expect(warnings.count == 1 && warnings[0].contains("building with the local cache only"), "\(result.standardError)")
        #expect(outcome?.remoteCache?.hits == 0)
    }

    @Test func aBlobWithOtherBytesIsNotUsed() async throws {
        let env = try ContainerTestEnvironment.load()
        let repository = Self.repository(env)
        let first = try Checkout(), second = try Checkout()
        defer { first.remove(); second.remove() }
        let (uploaded, made) = try await first.build(["--remote-cache", repository, "--remote-cache-upload"])
        try #require(uploaded.succeeded, "\(uploaded.standardError)")
        // The registry serves its files as they are on disk: damage every ELF object it holds.
        let state = URL(fileURLWithPath: ProcessInfo.processInfo.environment[ContainerTestEnvironment.variable] ?? "").deletingLastPathComponent()
        let blobs = state.appendingPathComponent("registry/data/docker/registry/v2/blobs")
        var damaged: [(URL, Data)] = []
        // Put back afterwards: the registry's storage outlives the test, and other repositories share blobs.
        defer { for (url, bytes) in damaged { try? bytes.write(to: url) } }
        for file in Fixtures.files(under: blobs) where file.hasSuffix("/data") {
            let url = blobs.appendingPathComponent(file)
            guard let bytes = try? Data(contentsOf: url), bytes.starts(with: [0x7f, 0x45, 0x4c, 0x46]), bytes.count > 64 else { continue }
            var changed = bytes
            changed[40] ^= 0xff
            try changed.write(to: url)
            damaged.append((url, bytes))
        }
        try #require(damaged.count >= 2)
        let (fetched, taken) = try await second.build(["--remote-cache", repository])
        try #require(fetched.succeeded, "\(fetched.standardError)")
        #expect(fetched.standardError.contains("with other bytes; not used"), "\(fetched.standardError)")
        #expect(taken?.remoteCache?.hits == 0)
        #expect(taken?.digest == made?.digest)
    }

    /// The test environment's TLS registry with basic auth, and a private credentials folder for gadgetc.
    struct SecureRegistry {
        let host: String
        let ca: String
        let user: String
        let password: String

        static func load() throws -> SecureRegistry {
            let text = try String(contentsOfFile: ProcessInfo.processInfo.environment[ContainerTestEnvironment.variable] ?? "", encoding: .utf8)
            var values: [String: String] = [:]
            for line in text.split(separator: "\n") where !line.hasPrefix("#") {
                guard let equals = line.firstIndex(of: "=") else { continue }
                values[String(line[..<equals])] = String(line[line.index(after: equals)...])
            }
            guard let host = values["GADGETC_TESTENV_SECURE_REGISTRY"], let ca = values["GADGETC_TESTENV_SECURE_CA"],
                  let user = values["GADGETC_TESTENV_SECURE_USER"], let file = values["GADGETC_TESTENV_SECURE_PASSWORD_FILE"] else {
                throw EngineError.invalidResponse(operation: "read the test environment", reason: "GADGETC_TESTENV_SECURE_REGISTRY is missing; rerun .ci/testenv/up")
            }
            return SecureRegistry(host: host, ca: ca, user: user, password: try String(contentsOfFile: file, encoding: .utf8))
        }

        /// Variables that make gadgetc find only the credentials written here (docker's config.json), and trust the CA.
        func environment(in folder: URL, password: String?) throws -> [String: String] {
            let docker = folder.appendingPathComponent("docker")
            try FileManager.default.createDirectory(at: docker, withIntermediateDirectories: true)
            if let password {
                let auth = Data("\(user):\(password)".utf8).base64EncodedString()
                try Data(#"{"auths": {"\#(host)": {"auth": "\#(auth)"}}}"#.utf8).write(to: docker.appendingPathComponent("config.json"))
            }
            return ["DOCKER_CONFIG": docker.path, "REGISTRY_AUTH_FILE": folder.appendingPathComponent("none.json").path,
                    "XDG_RUNTIME_DIR": folder.path, "XDG_CONFIG_HOME": folder.path, "GADGETC_REMOTE_CACHE_CA": ca]
        }
    }

    @Test func anAuthenticatedRegistryOverTLSWithDockersCredentials() async throws {
        let registry = try SecureRegistry.load()
        let repository = "\(registry.host)/gadgetc-cache-\(UUID().uuidString.lowercased().prefix(8))"
        let first = try Checkout(), second = try Checkout()
        defer { first.remove(); second.remove() }
        let (uploaded, made) = try await first.build(["--remote-cache", repository, "--remote-cache-upload"],
                                                     environment: try registry.environment(in: first.root, password: registry.password))
        try #require(uploaded.succeeded, "\(uploaded.standardError)")
        #expect(made?.remoteCache?.uploads == 2, "\(uploaded.standardError)")
        let (fetched, taken) = try await second.build(["--remote-cache", repository],
                                                      environment: try registry.environment(in: second.root, password: registry.password))
        try #require(fetched.succeeded, "\(fetched.standardError)")
        #expect(taken?.remoteCache?.hits == 2 && taken?.digest == made?.digest, "\(fetched.standardError)")
        #expect(!(uploaded.standardError + fetched.standardError + uploaded.standardOutput).contains(registry.password))
    }

    @Test func doctorSaysWhetherTheCacheCanBeReadAndWritten() async throws {
        let registry = try SecureRegistry.load()
        let folder = try Fixtures.temporaryDirectory("doctor-remote")
        defer { try? FileManager.default.removeItem(at: folder) }
        func check(_ password: String?) async throws -> RemoteCacheCheck? {
            let result = try await Fixtures.run([Fixtures.gadgetc, "doctor", "--json", "--remote-cache", "\(registry.host)/doctor-check"],
                                                environment: try registry.environment(in: folder.appendingPathComponent(password == nil ? "none" : "some"), password: password))
            return try JSONDecoder().decode(ProbeReport.self, from: Data(result.standardOutput.utf8)).remoteCache
        }
        let allowed = try await check(registry.password)
        #expect(allowed?.reachable == true && allowed?.canRead == true && allowed?.canWrite == true && allowed?.scheme == "https")
        #expect(allowed?.credentials?.hasSuffix("config.json") == true)
        let anonymous = try await check(nil)
        #expect(anonymous?.reachable == true && anonymous?.canRead == false && anonymous?.problem?.contains("docker login") == true, "\(String(describing: anonymous))")
    }

    @Test func missingOrWrongCredentialsCostOneWarningAndNeverShowTheSecret() async throws {
        let registry = try SecureRegistry.load()
        let repository = "\(registry.host)/gadgetc-cache-\(UUID().uuidString.lowercased().prefix(8))"
        let checkout = try Checkout()
        defer { checkout.remove() }
        let (anonymous, _) = try await checkout.build(["--remote-cache", repository], environment: try registry.environment(in: checkout.root, password: nil))
        try #require(anonymous.succeeded, "\(anonymous.standardError)")
        let warnings = anonymous.standardError.split(separator: "\n").filter { $0.contains("remote cache") }
        #expect(warnings.count == 1 && warnings[0].contains("docker login \(registry.host)"), "\(anonymous.standardError)")

        let wrong = "not-\(registry.password)"
        let other = try Checkout()  // an empty local cache: the compiles are asked of the registry
        defer { other.remove() }
        let (refused, _) = try await other.build(["--remote-cache", repository], environment: try registry.environment(in: other.root, password: wrong))
        try #require(refused.succeeded, "\(refused.standardError)")
        #expect(refused.standardError.contains("refused to let credentials from") && refused.standardError.contains("config.json"), "\(refused.standardError)")
        #expect(!refused.standardError.contains(wrong))
    }
}

/// A loopback HTTP server for the failure modes a real registry does not show on demand: one that
/// accepts and never answers, one that answers every request with a fixed status.
final class MisbehavingRegistry: @unchecked Sendable {
    let port: UInt16
    private let fd: Int32
    private let clients = Clients()

    final class Clients: @unchecked Sendable {
        private let lock = NSLock()
        private var open: [Int32] = []
        func add(_ fd: Int32) { lock.withLock { open.append(fd) } }
        func closeAll() { lock.withLock { for fd in open { close(fd) } } }
    }

    /// `status` nil: never answer.
    init(status: Int?) throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        fd = listener
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard bound == 0, listen(listener, 16) == 0 else { throw POSIXError(.EADDRINUSE) }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) } }
        port = UInt16(bigEndian: address.sin_port)
        let clients = self.clients
        Thread.detachNewThread {
            while true {
                let client = accept(listener, nil, nil)
                guard client >= 0 else { return }
                clients.add(client)
                guard let status else { continue }  // keep it open, say nothing
                var buffer = [UInt8](repeating: 0, count: 65536)
                _ = read(client, &buffer, buffer.count)
                let answer = "HTTP/1.1 \(status) Failure\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                _ = answer.withCString { write(client, $0, strlen($0)) }
                close(client)
            }
        }
    }

    var address: String { "127.0.0.1:\(port)" }

    func stop() {
        shutdown(fd, Int32(SHUT_RDWR))
        close(fd)
        clients.closeAll()
    }
}

extension RemoteCacheTests {
    @Test(arguments: [nil, 500] as [Int?])
    func aSilentOrFailingRegistryCostsOneWarningAndTheBuildGoesOn(status: Int?) async throws {
        let server = try MisbehavingRegistry(status: status)
        defer { server.stop() }
        let checkout = try Checkout()
        defer { checkout.remove() }
        let (result, outcome) = try await checkout.build(["--remote-cache", "\(server.address)/cache", "--remote-cache-upload", "--remote-cache-timeout", "1"])
        try #require(result.succeeded, "\(result.standardError)")
        let warnings = result.standardError.split(separator: "\n").filter { $0.contains("remote cache") }
        let expected = status == nil ? "no answer within 1 s" : "the registry answered 500"
        #expect(warnings.count == 1 && warnings[0].contains(expected), "\(result.standardError)")
        #expect(outcome?.remoteCache?.hits == 0 && outcome?.remoteCache?.uploads == 0)
    }

    @Test func twoBuildsUploadingTheSameKeysAtOnceLeaveUsableEntries() async throws {
        let env = try ContainerTestEnvironment.load()
        let repository = Self.repository(env)
        let one = try Checkout(), two = try Checkout(), reader = try Checkout()
        defer { one.remove(); two.remove(); reader.remove() }
        async let first = one.build(["--remote-cache", repository, "--remote-cache-upload"])
        async let second = two.build(["--remote-cache", repository, "--remote-cache-upload"])
        let (a, b) = try await (first, second)
        try #require(a.0.succeeded && b.0.succeeded, "\(a.0.standardError)\n\(b.0.standardError)")
        #expect(a.1?.digest == b.1?.digest)
        let (read, taken) = try await reader.build(["--remote-cache", repository])
        try #require(read.succeeded, "\(read.standardError)")
        #expect(taken?.remoteCache?.hits == 2 && taken?.digest == a.1?.digest)
    }
}

/// One element of `gadgetc build --json` for several gadgets.
struct GadgetResultProbe: Decodable {
    var outcome: BuildOutcome?
}

/// A loopback proxy in front of the test environment's real registry that refuses (403) every
/// cross-repository mount, as a registry does when the user may not read the source repository;
/// everything else goes through unchanged.
final class MountRefusingProxy: @unchecked Sendable {
    let process = Process()
    let address: String

    static let script = #"""
    import http.client, http.server, sys
    upstream = sys.argv[1]
    class Forward(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        def log_message(self, *args): pass
        def relay(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            if self.command == "POST" and "from=" in self.path:
                refusal = b'{"errors":[{"code":"DENIED","message":"requested access to the resource is denied"}]}'
                self.send_response(403)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(refusal)))
                self.end_headers()
                self.wfile.write(refusal)
                return
            connection = http.client.HTTPConnection(upstream)
            headers = {k: v for k, v in self.headers.items() if k.lower() != "connection"}
            connection.request(self.command, self.path, body=body, headers=headers)
            answer = connection.getresponse()
            data = answer.read()
            self.send_response(answer.status)
            for k, v in answer.getheaders():
                if k.lower() not in ("content-length", "connection", "transfer-encoding"):
                    self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)
        do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = relay
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Forward)
    with open(sys.argv[2] + ".tmp", "w") as f:
        f.write("%d\n" % server.server_address[1])
    import os
    os.rename(sys.argv[2] + ".tmp", sys.argv[2])
    server.serve_forever()
    """#

    /// Starts the proxy; it writes the port it listens on to a file, read once it is there.
    init(upstream: String) async throws {
        let folder = try Fixtures.temporaryDirectory("proxy")
        let script = folder.appendingPathComponent("proxy.py"), portFile = folder.appendingPathComponent("port")
        try Self.script.write(to: script, atomically: true, encoding: .utf8)
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = [script.path, upstream, portFile.path]
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        for _ in 0..<100 {
            if let text = try? String(contentsOf: portFile, encoding: .utf8), text.hasSuffix("\n"),
               let port = UInt16(text.dropLast()) {
                address = "127.0.0.1:\(port)"
                return
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        process.terminate()
        throw POSIXError(.EADDRNOTAVAIL)
    }

    /// SIGKILL: the test runner's blocked signals are inherited, SIGTERM would wait forever.
    func stop() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}

extension RemoteCacheTests {
    /// A mount the registry refuses (the user may not read the source repository) is "not mounted":
    /// the blobs are sent, the entries land, no warning, the cache stays on.
    @Test func aRefusedMountSendsTheBlobInstead() async throws {
        let env = try ContainerTestEnvironment.load()
        let proxy = try await MountRefusingProxy(upstream: env.registry)
        defer { proxy.stop() }
        let name = String(Self.repository(env).split(separator: "/", maxSplits: 1)[1])
        let writer = try Checkout(), reader = try Checkout()
        defer { writer.remove(); reader.remove() }
        let (uploaded, outcome) = try await writer.build(["--remote-cache", "\(proxy.address)/\(name)", "--remote-cache-upload",
                                                          "--remote-cache-mount-from", "team/private-cache"])
        try #require(uploaded.succeeded, "\(uploaded.standardError)")
        #expect(!uploaded.standardError.contains("remote cache"), "\(uploaded.standardError)")
        let stats = try #require(outcome?.remoteCache)
        #expect(stats.uploads == 2 && stats.mounts == 0 && stats.bytesUp > 0, "\(stats)")
        let (fetched, taken) = try await reader.build(["--remote-cache", "\(env.registry)/\(name)"])
        try #require(fetched.succeeded, "\(fetched.standardError)")
        #expect(taken?.remoteCache?.hits == 2, "\(String(describing: taken?.remoteCache))")
    }
}
