import Foundation

/// Which toolchain builds: `auto` lets the probe decide per arch.
public enum ToolchainChoice: String, CaseIterable, Codable, Sendable {
    case auto, native, container
}

/// What the user asked `gadgetc build` for, independent of the command line that said it.
public struct BuildRequest: Sendable {
    public var gadgetFolder: String
    public var buildFile: String?
    public var architectures: [Architecture]
    public var toolchain: ToolchainChoice
    public var includeDirectories: [String]
    /// `-t`: the image reference; nil means the gadget folder's name with tag latest, as ig does.
    public var tag: String?
    /// `-o`: keep per-arch objects and intermediates here.
    public var outputDirectory: String?
    /// `--oci-layout`: write a standalone OCI layout here instead of ig's store.
    public var ociLayout: String?
    /// Load every object of the host's arch into the kernel verifier.
    public var verify: Bool
    public var validateMetadata: Bool
    /// `--update-metadata`: add to gadget.yaml (or create it) what the built object has and it lacks.
    public var updateMetadata: Bool = false
    /// Use the shared build cache (and ask clang for a depfile so that it can).
    public var useCache: Bool
    /// The builder container, for arches the container toolchain builds.
    public var container: ContainerSettings
    /// `--builder-version`: the ig release written as the image's `io.inspektor-gadget.builder.version`
    /// (what `ig run` compares with its own version); nil writes none.
    public var builderVersion: String? = BuildRequest.defaultBuilderVersion
    /// `--btfgen --btfhub-archive DIR`: the archive whose kernels get a minimal BTF each, packaged per arch.
    public var btfHubArchive: String?

    /// The ig release whose image format, gadget headers and builder image gadgetc matches.
    public static let defaultBuilderVersion = "v0.51.1"

    public init(gadgetFolder: String, buildFile: String? = nil, architectures: [Architecture] = Architecture.allCases,
                toolchain: ToolchainChoice = .auto, includeDirectories: [String] = [], tag: String? = nil,
                outputDirectory: String? = nil, ociLayout: String? = nil, verify: Bool = false, validateMetadata: Bool = true, useCache: Bool = true,
                container: ContainerSettings = ContainerSettings(), updateMetadata: Bool = false) {
        self.gadgetFolder = gadgetFolder
        self.buildFile = buildFile
        self.architectures = architectures
        self.toolchain = toolchain
        self.includeDirectories = includeDirectories
        self.tag = tag
        self.outputDirectory = outputDirectory
        self.ociLayout = ociLayout
        self.verify = verify
        self.validateMetadata = validateMetadata
        self.useCache = useCache
        self.container = container
        self.updateMetadata = updateMetadata
    }
}
