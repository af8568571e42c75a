import Foundation

/// Where a step's commands run, in one shape for both toolchains: on the host, or in the started
/// builder container. A step asks its toolchain to run a command, for the identity cache keys know the
/// toolchain's clang by, and for the path under which a command there sees a host file; it does not
/// ask which toolchain it has.
public protocol StepToolchain: Sendable {
    var kind: ToolchainDecision.Toolchain { get }
    var runner: CommandRunning { get }
    /// The host clang's identity, or the builder image's (its reference and id): part of compile keys.
    var compilerIdentity: String { get }
    /// A host path as this toolchain's commands name it; nil when they cannot see it.
    func visiblePath(_ hostPath: String) -> String?
}

/// The host: commands see host paths as they are.
public struct NativeToolchain: StepToolchain {
    public let runner: CommandRunning
    public let compilerIdentity: String

    public init(runner: CommandRunning, compilerIdentity: String) {
        self.runner = runner
        self.compilerIdentity = compilerIdentity
    }

    public var kind: ToolchainDecision.Toolchain { .native }
    public func visiblePath(_ hostPath: String) -> String? { hostPath }
}

/// The builder container of one build (`ContainerBuild`): commands run through the engine's exec API and
/// see the host folders mounted into it (the gadget at /work, the build's output folder at /out).
public struct BuilderContainerToolchain: StepToolchain {
    public let runner: CommandRunning
    /// The builder image's reference and id.
    public let image: String
    /// Container folder → host folder.
    public let mounts: [String: String]

    public init(runner: CommandRunning, image: String, mounts: [String: String]) {
        self.runner = runner
        self.image = image
        self.mounts = mounts
    }

    public var kind: ToolchainDecision.Toolchain { .container }
    public var compilerIdentity: String { "container \(image)" }

    public func visiblePath(_ hostPath: String) -> String? { MountTable(mounts).containerPath(hostPath) }
}
