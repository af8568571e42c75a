import Foundation
import GadgetBuild

/// Issue 11's figure: what `gadgetc watch` (and an editor loop) pays for clang's diagnostics after an
/// edit — a warm libclang re-parse of both arches in-process, plan included, as watch does each round —
/// against ig's compile of the same source (the baseline's compile and strip per arch).
struct CheckBench {
    let folder: String
    let includes: [String]
    let cache: String

    /// The timed side of the scenario, or nil (with the reason) when libclang does not load here.
    func prepare() async throws -> (check: () async throws -> Sample, firstParseMilliseconds: Double)? {
        let frontEnds = LibclangFrontEnds(keepsPreambles: true)
        let driver = BuildDriver(cache: CacheLocation(root: URL(fileURLWithPath: cache)))
        let request = BuildRequest(gadgetFolder: folder, includeDirectories: includes, validateMetadata: false)
        guard let (plan, _) = try? await driver.sourcePlan(request), (try? frontEnds.frontEnd(for: plan)) != nil else { return nil }
        let check = { () async throws -> Sample in
            let clock = ContinuousClock()
            let start = clock.now
            let (plan, _) = try await driver.sourcePlan(request)
            let results = try SourceCheck(frontEnd: try frontEnds.frontEnd(for: plan)).run(plan).results
            guard !results.isEmpty, !results.contains(where: \.hasErrors) else {
                throw BenchError("libclang found errors in \(folder) or checked nothing: \(results)")
            }
            return Sample(milliseconds: (clock.now - start).milliseconds)
        }
        let first = try await check()
        return (check, first.milliseconds)
    }
}
