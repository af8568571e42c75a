import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL

/// One compile the team's cache knows: the files its compile read (portable paths, content digests)
/// and the object it made. Stored as an OCI manifest tagged with the portable key, whose config is
/// this record and whose one layer is the object.
struct RemoteCompileRecord: Codable, Equatable {
    struct Dependency: Codable, Equatable {
        var path: String
        var digest: String
    }
    var dependencies: [Dependency]
    /// `sha256:<hex>` of the object layer.
    var object: String
    /// The folders of the machine that compiled it, by portable name: its object records them.
    var folders: [String: String]?
    /// How long the compile took there: what a hit saves (`cache stats`).
    var milliseconds: Double?
    /// The compiler's warnings there, shown here as if it had compiled here.
    var warnings: String?
}

/// The team's cache, spoken to as an OCI registry (distribution API v2): a lookup is `GET manifests/<key>`
/// then the config and object blobs, each checked against its digest; an upload puts the blobs (a
/// `HEAD` first: blobs are content-addressed) and then the manifest. Nothing it does fails a build:
/// the first failure (unreachable, too slow, refused, a server error) disables it for the rest of the
/// run with one warning, and the build goes on with the local cache.
public final class RemoteCache: @unchecked Sendable {
    public let settings: RemoteCacheSettings
    let http: HTTPClient
    private let lock = NSLock()
    private var disabledReason: String?
    private var uploads: [Task<Void, Never>] = []
    /// The `Authorization` value that worked (Basic, or a bearer token), once a challenge asked for one.
    private var authorization: String?
    /// Looked up on the first challenge only: a public registry never makes gadgetc read credential files.
    private var credentials: RegistryCredentials??
    let environment: [String: String]
    /// Said once, when the cache stops being used.
    public var onWarning: (@Sendable (String) -> Void)?
    public private(set) var statistics = RemoteCacheStatistics()

    static let manifestType = "application/vnd.oci.image.manifest.v1+json"
    static let artifactType = "application/vnd.gadgetc.cache.compile.v1"
    static let recordType = "application/vnd.gadgetc.cache.record.v1+json"
    static let objectType = "application/vnd.gadgetc.cache.object.v1"

    public init(settings: RemoteCacheSettings, environment: [String: String] = ProcessInfo.processInfo.environment, httpClient: HTTPClient? = nil) {
        var settings = settings
        if settings.certificateAuthority == nil {
            settings.certificateAuthority = RemoteCacheSettings.certificateAuthority(host: settings.host, environment: environment,
                                                                                     fileExists: { FileManager.default.fileExists(atPath: $0) })
        }
        self.settings = settings
        self.environment = environment
        self.http = httpClient ?? settings.certificateAuthority.map(RemoteCache.client(trusting:)) ?? RemoteCache.sharedHTTPClient
    }

    /// Connections to the registry at once: lookups and uploads of every gadget of a run share them.
    static let connectionBudget = 6

    static func configuration() -> HTTPClient.Configuration {
        var configuration = HTTPClient.Configuration(redirectConfiguration: .follow(max: 3, allowCycles: false),
                                                     timeout: HTTPClient.Configuration.Timeout(connect: .seconds(3), read: .seconds(30)),
                                                     decompression: .disabled)
        configuration.connectionPool.retryConnectionEstablishment = false
        // A build's lookups go at once (one per compile), through at most this many connections per registry.
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = connectionBudget
        return configuration
    }

    /// The process's client for registries: a connect is bounded, never retried (a dead registry must
    /// not cost a build more than one bound).
    public static let sharedHTTPClient = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration())

    /// A client that also trusts the CA in `file` (a registry with a certificate of a private CA); one
    /// per file for the process's life, like the shared one (a client must not end without a shutdown).
    static func client(trusting file: String) -> HTTPClient {
        clientsLock.withLock {
            if let known = clientsByCA[file] { return known }
            var configuration = configuration()
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.additionalTrustRoots = [.file(file)]
            configuration.tlsConfiguration = tls
            let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
            clientsByCA[file] = client
            return client
        }
    }

    private static let clientsLock = NSLock()
    nonisolated(unsafe) private static var clientsByCA: [String: HTTPClient] = [:]

    public var isEnabled: Bool { lock.withLock { disabledReason == nil } }
    /// Whether the registry has answered any request (with any status) in this run: `doctor`'s "reachable".
    private var answered = false

    private var reported = RemoteCacheStatistics()

    /// What happened since the last call (a `watch` reports after every round): for the running totals.
    public func unreportedStatistics() -> RemoteCacheStatistics {
        lock.withLock {
            defer { reported = statistics }
            return statistics - reported
        }
    }

    /// Why the cache stopped being used, if it did.
    public var problem: String? { lock.withLock { disabledReason } }

    // MARK: Doctor

    /// What `doctor` says of the remote cache: whether the registry answers, and whether this user may
    /// read the repository and start an upload to it (the upload is cancelled at once).
    public func check() async -> RemoteCacheCheck {
        var result = RemoteCacheCheck(reference: settings.description, scheme: settings.scheme(environment: environment),
                                      reachable: false, canRead: false, canWrite: false, credentials: nil, problem: nil)
        guard let (_, _) = await request(.GET, "tags/list") else {
            result.reachable = lock.withLock { answered }
            result.credentials = lock.withLock { (credentials ?? nil)?.source }
            result.problem = problem
            return result
        }
        result.reachable = true
        result.canRead = true
        result.credentials = lock.withLock { (credentials ?? nil)?.source }
        guard let (status, headers, _) = await exchange(.POST, "blobs/uploads/") else {
            result.problem = problem
            return result
        }
        result.canWrite = status == 202
        if let location = headers.first(name: "Location") { _ = await exchange(.DELETE, url: absolute(location)) }
        return result
    }

    // MARK: Lookup

    /// The record under `key`, or nil (a miss, or the cache is off).
    func record(_ key: String) async -> RemoteCompileRecord? {
        guard isEnabled else { return nil }
        let started = ContinuousClock.now
        defer { lock.withLock { statistics.lookupMilliseconds += (ContinuousClock.now - started).milliseconds } }
        guard let (status, body) = await request(.GET, "manifests/\(key)", accept: Self.manifestType) else { return nil }
        guard status == 200 else {
            if status != 404 { disable("the registry answered \(status) to a lookup") }
            record(miss: true)
            return nil
        }
        guard let manifest = try? JSONSerialization.jsonObject(with: body) as? [String: Any],
              let config = manifest["config"] as? [String: Any], let configDigest = config["digest"] as? String,
              let configBytes = await blob(configDigest),
              let record = try? JSONDecoder().decode(RemoteCompileRecord.self, from: configBytes) else {
            record(miss: true)
            return nil
        }
        return record
    }

    /// Whether the registry has an entry under `key` (a HEAD: no record read, no digest checked).
    func hasEntry(_ key: String) async -> Bool {
        guard let (status, _) = await request(.HEAD, "manifests/\(key)", accept: Self.manifestType) else { return false }
        return status == 200
    }

    /// A blob, only if its bytes have the digest asked for (a mismatch is a miss and a warning).
    func blob(_ digest: String) async -> Data? {
        guard isEnabled, digest.hasPrefix("sha256:") else { return nil }
        guard let (status, body) = await request(.GET, "blobs/\(digest)") else { return nil }
        guard status == 200 else { return nil }
        guard "sha256:" + ContentDigest.hex(body) == digest else {
            onWarning?("warning: the remote cache \(settings.description) served blob \(digest.prefix(19))… with other bytes; not used")
            return nil
        }
        lock.withLock { statistics.bytesDown += body.count }
        return body
    }

    func record(miss: Bool, saved milliseconds: Double? = nil) {
        lock.withLock {
            if miss { statistics.misses += 1 } else { statistics.hits += 1 }
            statistics.millisecondsSaved += milliseconds ?? 0
        }
    }

    // MARK: Upload

    /// Uploads a record and its object in the background; `finishUploads()` waits for them.
    func uploadInBackground(key: String, record: @escaping @Sendable () -> (RemoteCompileRecord, Data)?) {
        guard settings.upload, isEnabled else { return }
        let task = Task { [self] in
            guard let (made, object) = record() else { return }
            await upload(key: key, record: made, object: object)
        }
        lock.withLock { uploads.append(task) }
    }

    public func finishUploads() async {
        while let task = lock.withLock({ uploads.popLast() }) { await task.value }
    }

    func upload(key: String, record: RemoteCompileRecord, object: Data) async {
        guard let recordBytes = try? JSONEncoder.sorted.encode(record) else { return }
        let recordDigest = "sha256:" + ContentDigest.hex(recordBytes)
        guard await putBlob(object, digest: record.object), await putBlob(recordBytes, digest: recordDigest) else { return }
        let manifest: [String: Any] = [
            "schemaVersion": 2, "mediaType": Self.manifestType, "artifactType": Self.artifactType,
            "config": ["mediaType": Self.recordType, "digest": recordDigest, "size": recordBytes.count],
            "layers": [["mediaType": Self.objectType, "digest": record.object, "size": object.count]],
        ]
        guard let body = try? JSONSerialization.data(withJSONObject: manifest, options: [.sortedKeys]) else { return }
        guard let (status, _) = await request(.PUT, "manifests/\(key)", body: body, contentType: Self.manifestType) else { return }
        if status == 201 || status == 200 {
            lock.withLock { statistics.uploads += 1 }
        } else {
            disable("the registry answered \(status) to an upload (does this user may push to \(settings.repository)?)")
        }
    }

    /// A blob the registry does not have yet. First a cross-repository mount: `POST uploads/?mount=&from=`
    /// for each `mountFrom` repository, then without `from` (OCI distribution 1.1 lets a registry find the
    /// blob itself); `201` means mounted, nothing sent. Otherwise the `202` of the last attempt is the
    /// upload session, and the bytes go in one `PUT ?digest=` (monolithic). A source repository this user
    /// may not read answers 401/403: that only means "not mounted from there", never a reason to stop
    /// using the cache.
    func putBlob(_ data: Data, digest: String) async -> Bool {
        guard let (head, _) = await request(.HEAD, "blobs/\(digest)") else { return false }
        if head == 200 { return true }
        let attempts = settings.mountFrom.map { "blobs/uploads/?mount=\(digest)&from=\($0)" } + ["blobs/uploads/?mount=\(digest)"]
        var session: String?
        for (index, path) in attempts.enumerated() {
            let isLast = index == attempts.count - 1
            guard let (status, headers, _) = await exchange(.POST, path, refusalIsAnAnswer: !isLast) else { return false }
            if status == 201 {
                lock.withLock { statistics.mounts += 1 }
                return true
            }
            if !isLast, status == 401 || status == 403 || status == 404 { continue }
            guard status == 202, let location = headers.first(name: "Location") else {
                disable("the registry refused to start an upload")
                return false
            }
            if isLast {
                session = location
            } else {
                // Not in that repository: this session is not the one the bytes go to.
                _ = await exchange(.DELETE, url: absolute(location))
            }
        }
        guard let location = session else { return false }
        let base = absolute(location)
        let url = base + (base.contains("?") ? "&" : "?") + "digest=\(digest)"
        guard let (put, _, _) = await exchange(.PUT, url: url, body: data, contentType: "application/octet-stream"), put == 201 else {
            disable("the registry refused a blob upload")
            return false
        }
        lock.withLock { statistics.bytesUp += data.count }
        return true
    }

    // MARK: HTTP

    /// A `Location` the registry gave, as a whole URL.
    func absolute(_ location: String) -> String {
        location.hasPrefix("http") ? location : "\(settings.scheme(environment: environment))://\(settings.host)\(location)"
    }

    func request(_ method: HTTPMethod, _ path: String, body: Data? = nil, accept: String? = nil, contentType: String? = nil) async -> (Int, Data)? {
        guard let (status, _, data) = await exchange(method, path, body: body, accept: accept, contentType: contentType) else { return nil }
        return (status, data)
    }

    /// One request, answered once more after an auth challenge. A refusal (401/403), a 5xx or no answer
    /// disables the cache for the run, unless `refusalIsAnAnswer` (a request whose refusal is expected,
    /// e.g. a mount from a repository the user may not read): then the refusal is returned.
    func exchange(_ method: HTTPMethod, _ path: String = "", url: String? = nil, body: Data? = nil, accept: String? = nil,
                  contentType: String? = nil, refusalIsAnAnswer: Bool = false) async -> (Int, HTTPHeaders, Data)? {
        let bound = TimeAmount.milliseconds(Int64(settings.timeoutSeconds * 1000))
        for attempt in 0..<2 {
            guard isEnabled else { return nil }
            var request = HTTPClientRequest(url: url ?? "\(settings.scheme(environment: environment))://\(settings.host)/v2/\(settings.repository)/\(path)")
            request.method = method
            if let accept { request.headers.add(name: "Accept", value: accept) }
            if let authorization = lock.withLock({ authorization }) { request.headers.add(name: "Authorization", value: authorization) }
            if let body {
                request.headers.add(name: "Content-Type", value: contentType ?? "application/octet-stream")
                request.headers.add(name: "Content-Length", value: "\(body.count)")
                request.body = .bytes(ByteBuffer(bytes: body))
            }
            do {
                let response = try await http.execute(request, timeout: bound)
                lock.withLock { answered = true }
                let data = method == .HEAD ? Data() : Data(try await response.body.collect(upTo: 256 << 20).readableBytesView)
                let status = Int(response.status.code)
                if status == 401, attempt == 0, let challenge = response.headers.first(name: "WWW-Authenticate").flatMap(AuthChallenge.init),
                   await authorize(challenge, bound: bound) {
                    continue
                }
                if status == 401 || status == 403 {
                    if refusalIsAnAnswer { return (status, response.headers, data) }
                    disable(refusal(status, method: method))
                    return nil
                }
                if status >= 500 {
                    disable("the registry answered \(status)")
                    return nil
                }
                return (status, response.headers, data)
            } catch {
                disable(Self.reason(error, bound: settings.timeoutSeconds))
                return nil
            }
        }
        return nil
    }

    /// Why the registry said no, naming where the credentials came from (never what they are).
    func refusal(_ status: Int, method: HTTPMethod) -> String {
        let found = lock.withLock { credentials ?? nil }
        guard let found else {
            return "the registry wants credentials (\(status)) and none were found for \(settings.host): run `docker login \(settings.host)` (or podman login), or set REGISTRY_AUTH_FILE"
        }
        let action = method == .GET || method == .HEAD ? "read" : "write"
        return "the registry refused to let \(found) \(action) \(settings.repository) (\(status))"
    }

    /// Answers a challenge: Basic with the user's credentials, or a bearer token from the realm it names
    /// (asked with those credentials, or anonymously). False when there is nothing to answer with.
    func authorize(_ challenge: AuthChallenge, bound: TimeAmount) async -> Bool {
        let found: RegistryCredentials? = lock.withLock {
            if let known = credentials { return known }
            let looked = RegistryCredentials.find(host: settings.host, environment: environment)
            credentials = .some(looked)
            return looked
        }
        switch challenge.scheme {
        case "basic":
            guard let header = found?.basicAuthorization else { return false }
            lock.withLock { authorization = header }
            return true
        case "bearer":
            guard let realm = challenge.parameters["realm"], var components = URLComponents(string: realm) else { return false }
            let scope = challenge.parameters["scope"] ?? "repository:\(settings.repository):\(settings.upload ? "pull,push" : "pull")"
            var request: HTTPClientRequest
            if case .identityToken(let token) = found?.secret {
                request = HTTPClientRequest(url: realm)
                request.method = .POST
                var form = URLComponents()
                form.queryItems = [URLQueryItem(name: "grant_type", value: "refresh_token"), URLQueryItem(name: "refresh_token", value: token),
                                   URLQueryItem(name: "service", value: challenge.parameters["service"] ?? settings.host),
                                   URLQueryItem(name: "scope", value: scope), URLQueryItem(name: "client_id", value: "gadgetc")]
                request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
                request.body = .bytes(ByteBuffer(string: form.percentEncodedQuery ?? ""))
            } else {
                components.queryItems = (components.queryItems ?? []) + [URLQueryItem(name: "service", value: challenge.parameters["service"] ?? settings.host),
                                                                         URLQueryItem(name: "scope", value: scope)]
                guard let url = components.string else { return false }
                request = HTTPClientRequest(url: url)
                if let header = found?.basicAuthorization { request.headers.add(name: "Authorization", value: header) }
            }
            guard let response = try? await http.execute(request, timeout: bound), response.status.code == 200,
                  let body = try? await response.body.collect(upTo: 1 << 20),
                  let answer = try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any],
                  let token = (answer["token"] as? String) ?? (answer["access_token"] as? String), !token.isEmpty else { return false }
            lock.withLock { authorization = "Bearer \(token)" }
            return true
        default:
            return false
        }
    }

    static func reason(_ error: Error, bound: Double) -> String {
        let text = String(describing: error)
        if text.contains("deadlineExceeded") || text.contains("readTimeout") || text.contains("connectTimeout") {
            return "no answer within \(String(format: "%g", bound)) s"
        }
        if text.contains("111") || text.contains("refused") { return "connection refused" }
        return "unreachable (\(text.prefix(120)))"
    }

    func disable(_ reason: String) {
        let first = lock.withLock { () -> Bool in
            guard disabledReason == nil else { return false }
            disabledReason = reason
            return true
        }
        if first { onWarning?("warning: remote cache \(settings.description): \(reason); building with the local cache only") }
    }
}
