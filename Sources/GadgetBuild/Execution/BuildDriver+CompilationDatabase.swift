import Foundation

extension BuildDriver {
    /// The compilation database of `request`'s gadget (`gadgetc compile-commands`): the plan a build
    /// would run, made into editor commands. Nothing is compiled, but a vmlinux.h the plan generates
    /// from the kernel's BTF is generated now (when not already in the cache): the commands name its
    /// folder, and an editor that cannot find `<vmlinux.h>` would show errors the build does not have.
    public func compilationDatabase(_ request: BuildRequest) async throws -> CompilationDatabase {
        let (plan, report) = try await sourcePlan(request)
        let host = Architecture(rawValue: report.hostArchitecture) ?? Architecture.host ?? .amd64
        return CompilationDatabase(plan: plan, hostArchitecture: host)
    }

    /// The plan of `request`'s compiles, for tools that read the sources without building
    /// (`compile-commands`, `check`): the wasm step left out (a host without Go or cargo still gets its
    /// compiles), and vmlinux.h generated now when the plan makes it from the kernel's BTF — the commands
    /// name its folder, and a front end that cannot find `<vmlinux.h>` reports errors the build does not have.
    public func sourcePlan(_ request: BuildRequest) async throws -> (BuildPlan, ProbeReport) {
        // A named work folder that is never created: planning with none would also start clearing old ones.
        let work = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("gadgetc-source-plan-unused")
        var gadget = try GadgetFolder(folder: request.gadgetFolder, buildFilePath: request.buildFile)
        gadget.wasm = nil
        let (plan, _, report) = try await planAndProbe(request, gadget: gadget, workDirectory: work)
        for job in plan.jobs(.generateVmlinux) { try GeneratedVmlinux.run(job) }
        return (plan, report)
    }
}
