import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// A Docker Engine API client over a unix socket (Docker, or Podman's compatible API).
///
/// Requests use unversioned paths (the engine's own API version) and async-http-client's
/// `http+unix://` URLs with the percent-encoded socket path as the host.
public struct EngineClient: EngineAPI {
    public let socket: EngineSocket
    private let http: HTTPClient

    public init(socket: EngineSocket, httpClient: HTTPClient = EngineClient.sharedHTTPClient) {
        self.socket = socket
        self.http = httpClient
    }

    /// The process's HTTP client for engine sockets, never shut down (like `HTTPClient.shared`,
    /// but tuned for a local socket): a failed connect fails at once instead of being retried for
    /// 90 s, no read timeout (a compile or a layer download may be silent for long), no redirects,
    /// no decompression.
    public static let sharedHTTPClient: HTTPClient = {
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: HTTPClient.Configuration.Timeout(connect: .seconds(10), read: nil),
            decompression: .disabled
        )
        configuration.connectionPool.retryConnectionEstablishment = false
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }()

    /// A client for the socket that `EngineSocket.discover` finds.
    public static func discover(option: String?) throws -> EngineClient {
        EngineClient(socket: try EngineSocket.discover(option: option))
    }

    // MARK: Engine

    public func version() async throws -> EngineVersion {
        let (status, headers, body) = try await data(.GET, "/version", operation: "report its version")
        try check(status, body, accept: [200], operation: "report its version")
        let object = try jsonObject(body, operation: "GET /version")
        let components = (object["Components"] as? [[String: Any]]) ?? []
        let podman = components.first { ($0["Name"] as? String)?.contains("Podman") == true }
        let server = headers.first(name: "Server") ?? ""
        let isPodman = podman != nil || server.hasPrefix("Libpod")
        return EngineVersion(
            kind: isPodman ? .podman : .docker,
            version: (podman?["Version"] as? String) ?? (object["Version"] as? String) ?? "unknown",
            apiVersion: (object["ApiVersion"] as? String) ?? headers.first(name: "Api-Version") ?? "unknown"
        )
    }

    public func info() async throws -> EngineInfo {
        let (status, _, body) = try await data(.GET, "/info", operation: "report its configuration")
        try check(status, body, accept: [200], operation: "report its configuration")
        let object = try jsonObject(body, operation: "GET /info")
        let options = (object["SecurityOptions"] as? [String]) ?? []
        return EngineInfo(rootless: EngineClient.isRootless(securityOptions: options), securityOptions: options)
    }

    /// `name=rootless` among the comma-separated fields of any security option.
    public static func isRootless(securityOptions: [String]) -> Bool {
        securityOptions.contains { $0.split(separator: ",").contains("name=rootless") }
    }

    // MARK: Images

    public func imageInspect(_ reference: ContainerImageReference) async throws -> LocalImage? {
        let operation = "inspect image \(reference)"
        let (status, _, body) = try await data(.GET, "/images/\(pathEncoded(reference.description))/json", operation: operation)
        if status == 404 { return nil }
        try check(status, body, accept: [200], operation: operation)
        let object = try jsonObject(body, operation: "GET /images/…/json")
        guard let id = object["Id"] as? String else {
            throw EngineError.invalidResponse(operation: operation, reason: "it has no Id")
        }
        return LocalImage(
            id: id,
            created: EngineClient.date(object["Created"]),
            repoTags: (object["RepoTags"] as? [String]) ?? [],
            repoDigests: (object["RepoDigests"] as? [String]) ?? []
        )
    }

    public func pull(
        _ reference: ContainerImageReference,
        progress: @escaping @Sendable (PullProgress) -> Void
    ) async throws {
        let operation = "pull \(reference)"
        let query = [("fromImage", reference.fromImage), ("tag", reference.tagParameter)]
        let response = try await send(.POST, "/images/create", query: query, operation: operation, timeout: .hours(2))
        let status = Int(response.status.code)
        guard status == 200 else {
            let body = try await collect(response.body, operation: operation)
            throw EngineError.engine(operation: operation, status: status, message: engineErrorMessage(from: body))
        }
        var parser = PullStreamParser()
        func handle(_ events: [PullStreamParser.Event]) throws {
            for event in events {
                switch event {
                case .progress(let line): progress(line)
                case .failure(let message): throw EngineError.engine(operation: operation, status: status, message: message)
                }
            }
        }
        do {
            for try await buffer in response.body {
                try handle(parser.feed(buffer.readableBytesView))
            }
        } catch let error as EngineError {
            throw error
        } catch {
            throw transportError(error)
        }
        try handle(parser.finish())
    }

    /// Removes an image (a tag, or the image when it was the last tag); absent is not an error.
    public func removeImage(_ reference: ContainerImageReference, force: Bool = false) async throws {
        let operation = "remove image \(reference)"
        let (status, _, body) = try await data(
            .DELETE, "/images/\(pathEncoded(reference.description))",
            query: [("force", force ? "true" : "false"), ("noprune", "false")], operation: operation
        )
        if status == 404 { return }
        try check(status, body, accept: [200], operation: operation)
    }

    /// Gives an image in the store another name.
    public func tagImage(_ source: ContainerImageReference, as target: ContainerImageReference) async throws {
        let operation = "tag image \(source) as \(target)"
        let (status, _, body) = try await data(
            .POST, "/images/\(pathEncoded(source.description))/tag",
            query: [("repo", target.repository), ("tag", target.tag ?? "latest")], operation: operation
        )
        try check(status, body, accept: [200, 201], operation: operation)
    }

    // MARK: Containers

    public func createContainer(_ spec: ContainerSpec) async throws -> String {
        let operation = "create a container from \(spec.image)"
        var hostConfig: [String: Any] = ["Binds": spec.binds, "NetworkMode": spec.networkMode]
        hostConfig["AutoRemove"] = false
        var body: [String: Any] = [
            "Image": spec.image.description,
            "Cmd": spec.command,
            "Labels": spec.labels,
            "HostConfig": hostConfig,
            "AttachStdin": false, "AttachStdout": false, "AttachStderr": false, "Tty": false,
        ]
        if spec.networkMode == "none" { body["NetworkDisabled"] = true }
        if let user = spec.user { body["User"] = user }
        if let workingDir = spec.workingDir { body["WorkingDir"] = workingDir }
        let (status, _, response) = try await data(.POST, "/containers/create", json: body, operation: operation)
        try check(status, response, accept: [200, 201], operation: operation)
        guard let id = try jsonObject(response, operation: "POST /containers/create")["Id"] as? String else {
            throw EngineError.invalidResponse(operation: operation, reason: "it has no Id")
        }
        return id
    }

    public func start(container: String) async throws {
        let operation = "start container \(container.prefix(12))"
        let (status, _, body) = try await data(.POST, "/containers/\(pathEncoded(container))/start", operation: operation)
        try check(status, body, accept: [204, 304], operation: operation)
    }

    public func exec(container: String, argv: [String], workingDir: String?, environment: [String: String] = [:]) async throws -> ExecResult {
        let operation = "run \(argv.first ?? "a command") in container \(container.prefix(12))"
        var create: [String: Any] = [
            "Cmd": argv, "AttachStdin": false, "AttachStdout": true, "AttachStderr": true, "Tty": false,
        ]
        if let workingDir { create["WorkingDir"] = workingDir }
        if !environment.isEmpty { create["Env"] = environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" } }
        let (status, _, body) = try await data(
            .POST, "/containers/\(pathEncoded(container))/exec", json: create, operation: operation
        )
        try check(status, body, accept: [200, 201], operation: operation)
        guard let execID = try jsonObject(body, operation: "POST /containers/…/exec")["Id"] as? String else {
            throw EngineError.invalidResponse(operation: operation, reason: "it has no exec Id")
        }

        // A command in the builder is bounded like one on the host (GADGETC_TIMEOUT, else 10 minutes).
        let bound = ProcessRunner.timeout(environment: ProcessInfo.processInfo.environment)
        let response = try await send(
            .POST, "/exec/\(pathEncoded(execID))/start", json: ["Detach": false, "Tty": false],
            operation: operation, timeout: .nanoseconds(bound.components.seconds * 1_000_000_000 + bound.components.attoseconds / 1_000_000_000)
        )
        let startStatus = Int(response.status.code)
        guard startStatus == 200 || startStatus == 101 else {
            let body = try await collect(response.body, operation: operation)
            throw EngineError.engine(operation: operation, status: startStatus, message: engineErrorMessage(from: body))
        }
        var output = ExecStreamDemultiplexer()
        do {
            for try await buffer in response.body { try output.feed(buffer.readableBytesView) }
        } catch let error as EngineError {
            throw error
        } catch {
            throw transportError(error)
        }
        try output.finish()

        // The stream closes when the process's output does; its exit code may land a moment later.
        for attempt in 0..<500 {
            let (status, _, body) = try await data(.GET, "/exec/\(pathEncoded(execID))/json", operation: operation)
            try check(status, body, accept: [200], operation: operation)
            let object = try jsonObject(body, operation: "GET /exec/…/json")
            if (object["Running"] as? Bool) != true, let code = object["ExitCode"] as? NSNumber {
                return ExecResult(exitCode: code.int32Value, stdout: output.stdout, stderr: output.stderr)
            }
            try await Task.sleep(for: .milliseconds(attempt < 50 ? 2 : 20))
        }
        throw EngineError.invalidResponse(operation: operation, reason: "the exec reported no exit code after its output ended")
    }

    public func remove(container: String, force: Bool) async throws {
        let operation = "remove container \(container.prefix(12))"
        let (status, _, body) = try await data(
            .DELETE, "/containers/\(pathEncoded(container))",
            query: [("force", force ? "true" : "false"), ("v", "true")], operation: operation
        )
        if status == 404 { return }
        try check(status, body, accept: [200, 204], operation: operation)
    }

    /// The container's state (`created`, `running`, `exited`, …), or nil when there is no such container.
    public func containerState(_ container: String) async throws -> String? {
        let operation = "inspect container \(container.prefix(12))"
        let (status, _, body) = try await data(.GET, "/containers/\(pathEncoded(container))/json", operation: operation)
        if status == 404 { return nil }
        try check(status, body, accept: [200], operation: operation)
        let state = try jsonObject(body, operation: "GET /containers/…/json")["State"] as? [String: Any]
        return state?["Status"] as? String ?? "unknown"
    }

    /// The ids of all containers (running or not) carrying `label` (`key` or `key=value`).
    public func containers(label: String) async throws -> [String] {
        let operation = "list containers"
        let filters = try JSONSerialization.data(withJSONObject: ["label": [label]])
        let (status, _, body) = try await data(
            .GET, "/containers/json", query: [("all", "true"), ("filters", String(decoding: filters, as: UTF8.self))],
            operation: operation
        )
        try check(status, body, accept: [200], operation: operation)
        guard let list = try? JSONSerialization.jsonObject(with: body) as? [[String: Any]] else {
            throw EngineError.invalidResponse(operation: operation, reason: "the body is not a JSON array")
        }
        return list.compactMap { $0["Id"] as? String }
    }

    // MARK: HTTP

    /// The `http+unix://` URL of `path` on the socket (the socket path percent-encoded as the host).
    static func url(socketPath: String, path: String, query: [(String, String)]) -> String {
        var text = "http+unix://" + percentEncode(socketPath, keeping: "") + path
        if !query.isEmpty {
            text += "?" + query.map { percentEncode($0.0, keeping: "") + "=" + percentEncode($0.1, keeping: "") }
                .joined(separator: "&")
        }
        return text
    }

    /// Percent-encodes everything but RFC 3986's unreserved characters and `keeping`.
    static func percentEncode(_ text: String, keeping: String) -> String {
        var allowed = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~")
        allowed.insert(charactersIn: keeping)
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }

    /// An image name or id in a path: its '/', ':' and '@' stay (the engines route `{name:.*}`).
    private func pathEncoded(_ text: String) -> String {
        EngineClient.percentEncode(text, keeping: "/:@")
    }

    private func send(
        _ method: HTTPMethod, _ path: String, query: [(String, String)] = [], json: [String: Any]? = nil,
        operation: String, timeout: TimeAmount = .seconds(120)
    ) async throws -> HTTPClientResponse {
        var request = HTTPClientRequest(url: EngineClient.url(socketPath: socket.path, path: path, query: query))
        request.method = method
        request.headers.add(name: "Host", value: "engine")
        if let json {
            let body = try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys])
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        // Fail fast and precisely before the connect: no socket, or not ours to use.
        if let problem = socketProblem() { throw problem }
        do {
            return try await http.execute(request, timeout: timeout)
        } catch {
            throw transportError(error)
        }
    }

    private func data(
        _ method: HTTPMethod, _ path: String, query: [(String, String)] = [], json: [String: Any]? = nil,
        operation: String
    ) async throws -> (status: Int, headers: HTTPHeaders, body: Data) {
        let response = try await send(method, path, query: query, json: json, operation: operation)
        let body = try await collect(response.body, operation: operation)
        return (Int(response.status.code), response.headers, body)
    }

    private func collect(_ body: HTTPClientResponse.Body, operation: String) async throws -> Data {
        do {
            let buffer = try await body.collect(upTo: 64 << 20)
            return Data(buffer.readableBytesView)
        } catch {
            throw transportError(error)
        }
    }

    private func check(_ status: Int, _ body: Data, accept: Set<Int>, operation: String) throws {
        guard accept.contains(status) else {
            throw EngineError.engine(operation: operation, status: status, message: engineErrorMessage(from: body))
        }
    }

    private func jsonObject(_ body: Data, operation: String) throws -> [String: Any] {
        guard let object = try? JSONSerialization.jsonObject(with: body) as? [String: Any] else {
            throw EngineError.invalidResponse(operation: operation, reason: "the body is not a JSON object")
        }
        return object
    }

    /// The error for a socket that is missing or not ours to use, if it is.
    private func socketProblem() -> EngineError? {
        if access(socket.path, F_OK) != 0 {
            return .namedSocketMissing(path: socket.path, source: socket.source.rawValue)
        }
        if access(socket.path, R_OK | W_OK) != 0 && errno == EACCES {
            return .permissionDenied(path: socket.path)
        }
        return nil
    }

    /// Turns a failure below HTTP into the error a user can act on.
    private func transportError(_ error: Error) -> Error {
        if error is EngineError || error is CancellationError { return error }
        if let problem = socketProblem() { return problem }
        if let io = error as? IOError, io.errnoCode == EACCES { return EngineError.permissionDenied(path: socket.path) }
        return EngineError.unreachable(path: socket.path, reason: String(describing: error))
    }

    /// `Created` is RFC 3339 with up to nanoseconds in Docker's and Podman's compat answers, and
    /// Unix seconds in some Podman versions.
    static func date(_ value: Any?) -> Date? {
        if let number = value as? NSNumber { return Date(timeIntervalSince1970: number.doubleValue) }
        guard let text = value as? String, !text.isEmpty else { return nil }
        // Split off the fractional seconds, which ISO8601DateFormatter reads only to milliseconds.
        var whole = text
        var fraction = 0.0
        if let dot = text.firstIndex(of: ".") {
            let digitsEnd = text[text.index(after: dot)...].firstIndex(where: { !$0.isNumber }) ?? text.endIndex
            fraction = Double("0" + text[dot..<digitsEnd]) ?? 0
            whole = String(text[..<dot] + text[digitsEnd...])
        }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: whole).map { $0.addingTimeInterval(fraction) }
    }
}
