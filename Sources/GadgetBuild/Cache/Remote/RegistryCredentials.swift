import Foundation

/// What gadgetc may send to a registry, found where docker, podman and ig keep it: a `credHelpers`
/// entry for the host, `auths` (base64 `user:password`, or an identity token), then `credsStore`; in
/// `$REGISTRY_AUTH_FILE`, podman's `$XDG_RUNTIME_DIR/containers/auth.json` and
/// `~/.config/containers/auth.json`, then docker's `$DOCKER_CONFIG/config.json` (`~/.docker/config.json`).
/// Never printed: `description` names where it came from, not what it is.
public struct RegistryCredentials: Equatable, Sendable, CustomStringConvertible {
    public enum Secret: Equatable, Sendable {
        case basic(user: String, password: String)
        /// An OAuth2 refresh token (`identitytoken`), exchanged for a bearer token.
        case identityToken(String)
    }

    public var secret: Secret
    /// The file or helper it came from.
    public var source: String

    public var description: String { "credentials from \(source)" }

    /// The files searched, in order.
    public static func files(environment: [String: String]) -> [String] {
        let home = environment["HOME"] ?? NSHomeDirectory()
        var files: [String] = []
        if let file = environment["REGISTRY_AUTH_FILE"], !file.isEmpty { files.append(file) }
        if let runtime = environment["XDG_RUNTIME_DIR"], !runtime.isEmpty { files.append("\(runtime)/containers/auth.json") }
        files.append("\(environment["XDG_CONFIG_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? "\(home)/.config")/containers/auth.json")
        files.append("\(environment["DOCKER_CONFIG"].flatMap { $0.isEmpty ? nil : $0 } ?? "\(home)/.docker")/config.json")
        return files
    }

    /// The credentials for `host`, or nil. `helper(name, host)` runs `docker-credential-<name> get` with
    /// the host on its standard input and returns what it printed.
    public static func find(host: String, environment: [String: String], read: (String) -> Data? = { FileManager.default.contents(atPath: $0) },
                            helper: (String, String) -> Data? = RegistryCredentials.runHelper) -> RegistryCredentials? {
        for file in files(environment: environment) {
            guard let data = read(file), let config = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { continue }
            let names = [host, "https://\(host)", "http://\(host)", "https://\(host)/v1/", "https://\(host)/v2/"]
            if let helpers = config["credHelpers"] as? [String: String], let name = names.lazy.compactMap({ helpers[$0] }).first {
                if let found = fromHelper(name, host: host, helper: helper) { return found }
            }
            if let auths = config["auths"] as? [String: Any], let entry = names.lazy.compactMap({ auths[$0] as? [String: Any] }).first {
                if let token = entry["identitytoken"] as? String, !token.isEmpty {
                    return RegistryCredentials(secret: .identityToken(token), source: file)
                }
                if let auth = entry["auth"] as? String, let decoded = Data(base64Encoded: auth).flatMap({ String(data: $0, encoding: .utf8) }),
                   let colon = decoded.firstIndex(of: ":") {
                    return RegistryCredentials(secret: .basic(user: String(decoded[..<colon]), password: String(decoded[decoded.index(after: colon)...])),
                                               source: file)
                }
            }
            if let store = config["credsStore"] as? String, !store.isEmpty, let found = fromHelper(store, host: host, helper: helper) {
                return found
            }
        }
        return nil
    }

    static func fromHelper(_ name: String, host: String, helper: (String, String) -> Data?) -> RegistryCredentials? {
        guard let output = helper(name, host), let answer = try? JSONSerialization.jsonObject(with: output) as? [String: Any],
              let user = answer["Username"] as? String, let secret = answer["Secret"] as? String, !secret.isEmpty else { return nil }
        let source = "docker-credential-\(name)"
        // Helpers answer `<token>` as the user name for an identity token, as docker reads them.
        return RegistryCredentials(secret: user == "<token>" ? .identityToken(secret) : .basic(user: user, password: secret), source: source)
    }

    /// `docker-credential-<name> get`, the host on standard input; nil when it is not there or fails.
    public static func runHelper(_ name: String, _ host: String) -> Data? {
        guard name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." }) else { return nil }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["docker-credential-\(name)", "get"]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { return nil }
        input.fileHandleForWriting.write(Data(host.utf8))
        try? input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return process.terminationStatus == 0 ? data : nil
    }

    /// The `Authorization: Basic …` value.
    var basicAuthorization: String? {
        guard case .basic(let user, let password) = secret else { return nil }
        return "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()
    }
}

/// A registry's `WWW-Authenticate` challenge: `Basic realm=…` or `Bearer realm="…",service="…",scope="…"`.
struct AuthChallenge: Equatable {
    var scheme: String
    var parameters: [String: String]

    init(scheme: String, parameters: [String: String]) {
        self.scheme = scheme
        self.parameters = parameters
    }

    init?(_ header: String) {
        let trimmed = header.trimmingCharacters(in: .whitespaces)
        guard let space = trimmed.firstIndex(of: " ") else {
            guard !trimmed.isEmpty else { return nil }
            scheme = trimmed.lowercased()
            parameters = [:]
            return
        }
        scheme = trimmed[..<space].lowercased()
        var parameters: [String: String] = [:]
        var rest = Substring(trimmed[trimmed.index(after: space)...])
        while let equals = rest.firstIndex(of: "=") {
            let name = rest[..<equals].trimmingCharacters(in: CharacterSet(charactersIn: " ,")).lowercased()
            rest = rest[rest.index(after: equals)...]
            var value = ""
            if rest.first == "\"" {
                rest = rest.dropFirst()
                while let character = rest.first, character != "\"" {
                    if character == "\\", let next = rest.dropFirst().first { value.append(next); rest = rest.dropFirst(2); continue }
                    value.append(character)
                    rest = rest.dropFirst()
                }
                rest = rest.dropFirst()
            } else {
                value = String(rest.prefix { $0 != "," })
                rest = rest.dropFirst(value.count)
            }
            parameters[name] = value.trimmingCharacters(in: .whitespaces)
        }
        self.parameters = parameters
    }
}
