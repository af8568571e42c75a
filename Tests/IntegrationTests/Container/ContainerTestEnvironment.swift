import Foundation
import Testing
@testable import GadgetBuild

/// The real engine and registry that `.ci/testenv/up` starts, read from the env file it writes
/// (`GADGETC_TESTENV=/tmp/gadgetc-testenv/env`). Without the variable the container tests skip.
struct ContainerTestEnvironment {
    static let variable = "GADGETC_TESTENV"
    static let skipReason: Comment = "GADGETC_TESTENV is not set: run `.ci/testenv/up`, then `GADGETC_TESTENV=/tmp/gadgetc-testenv/env swift test` to run the container tests"

    static var isConfigured: Bool { !(ProcessInfo.processInfo.environment[variable] ?? "").isEmpty }

    let socket: EngineSocket
    /// The loopback registry that answers, and a loopback port where nothing listens.
    let registry: String
    let closedRegistry: String
    /// The stand-in builder image built by `up` (present in the store, never removed by tests).
    let localImage: ContainerImageReference
    /// The same image pushed to the registry.
    let builderImage: ContainerImageReference

    var client: EngineClient { EngineClient(socket: socket) }

    /// Reads the env file; an unreadable or incomplete file is an error, not a skip.
    static func load() throws -> ContainerTestEnvironment {
        let path = ProcessInfo.processInfo.environment[variable] ?? ""
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var values: [String: String] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let equals = line.firstIndex(of: "=") else { continue }
            values[String(line[..<equals])] = String(line[line.index(after: equals)...])
        }
        func value(_ key: String) throws -> String {
            guard let value = values[key], !value.isEmpty else {
                throw EngineError.invalidResponse(operation: "read \(path)", reason: "\(key) is missing; rerun .ci/testenv/up")
            }
            return value
        }
        return ContainerTestEnvironment(
            socket: try EngineSocket.discover(option: try value("DOCKER_HOST"), environment: [:],
                                              fileExists: { FileManager.default.fileExists(atPath: $0) }),
            registry: try value("GADGETC_TESTENV_REGISTRY"),
            closedRegistry: try value("GADGETC_TESTENV_CLOSED_REGISTRY"),
            localImage: try ContainerImageReference(parsing: try value("GADGETC_TESTENV_LOCAL_IMAGE")),
            builderImage: try ContainerImageReference(parsing: try value("GADGETC_TESTENV_BUILDER_IMAGE"))
        )
    }
}
