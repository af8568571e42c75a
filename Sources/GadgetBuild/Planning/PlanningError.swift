/// Problems found while planning, before anything runs.
public enum PlanningError: Error, Equatable, CustomStringConvertible {
    case unknownArchitecture(String)
    case noNativeToolchain(missing: [String])
    case containerToolchainUnavailable(missing: [String])

    public var description: String {
        switch self {
        case .unknownArchitecture(let text):
            return "unknown architecture '\(text)': use amd64, arm64 or both (--arch amd64,arm64)"
        case .noNativeToolchain(let missing):
            return "no native eBPF toolchain: \(missing.joined(separator: "; ")) (run 'gadgetc doctor' for details)"
        case .containerToolchainUnavailable(let missing):
            return "the container toolchain is not available in this version of gadgetc, and the native one lacks: \(missing.joined(separator: "; ")); install what is missing (run 'gadgetc doctor') or build with ig"
        }
    }
}
