import Foundation

/// The result of one gadget build, as printed by `gadgetc build --json`.
public struct BuildOutcome: Codable, Sendable {
    public struct ArchitectureResult: Codable, Sendable {
        public var arch: Architecture
        public var toolchain: ToolchainDecision.Toolchain
        public var reasons: [String]
        /// Where the linked object stays (only with -o).
        public var object: String?
        public var programs: [BPFObjectSummary.Program]
        public var maps: [BPFObjectSummary.Map]
        public var verification: VerifierReport?
        /// `--btfgen`: the arch's layer and how many kernels it covers.
        public var btfgen: BTFGenSummary?
    }

    public var gadget: String
    public var image: String
    public var digest: String
    /// The store or layout the image was written to.
    public var destination: String
    /// The host's clang, when an arch built natively.
    public var compiler: ClangCompiler?
    /// The builder image, when an arch built in the container.
    public var builderImage: String?
    /// For a native build: whether its bytes are those ig's builder image makes (`ProbeReport.reproducibility(of:)`).
    public var reproducibility: String?
    public var architectures: [ArchitectureResult]
    /// Each step as it ended: what it was, its time, or that it came from the cache.
    public var steps: [StepTiming]?
    /// The compilers' warnings (each distinct text once, as printed): shown again by a build that is up to date.
    public var compilerWarnings: [String]?
    /// The same warnings one message each: file, line, column, severity, message, warning option.
    public var diagnostics: [CompilerDiagnostic]?
    /// What the team's cache did in this run so far (`--remote-cache`).
    public var remoteCache: RemoteCacheStatistics?
    /// The wasm module built from the gadget's Go or Rust source (a prebuilt one is only packaged).
    public var wasm: WasmOutput?
    /// Every file the build read: sources, headers (from clang's depfiles), build.yaml and gadget.yaml.
    public var inputs: [String]
    public var elapsedMilliseconds: Double
    /// gadgetc's own peak resident memory so far (clang excluded), in KiB.
    public var peakMemoryKiB: Int

    /// ig's success line.
    public var successLine: String { "Successfully built \(image)@\(digest)" }
}
