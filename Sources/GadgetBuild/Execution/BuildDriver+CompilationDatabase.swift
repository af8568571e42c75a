import Foundation

extension BuildDriver {
    /// The compilation database of `request`'s gadget (`gadgetc compile-commands`): the plan a build
    /// would run, made into editor commands. Nothing is compiled, but a vmlinux.h the plan generates
    /// from the kernel's BTF is generated now (when not already in the cache): the commands name its
    /// folder, and an editor that cannot find `<vmlinux.h>` would show errors the build does not have.
    public func compilationDatabase(_ request: BuildRequest) async throws -> CompilationDatabase {
        // A named work folder that is never created: planning with none would also start clearing old ones.
        let work = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("gadgetc-compile-commands-unused")
        // The wasm module is no editor's business: left out, a host without Go or cargo still gets its entries.
        var gadget = try GadgetFolder(folder: request.gadgetFolder, buildFilePath: request.buildFile)
        gadget.wasm = nil
        let (plan, _, report) = try await planAndProbe(request, gadget: gadget, workDirectory: work)
        for job in plan.jobs(.generateVmlinux) {
            guard let btf = job.inputs.first, let output = job.outputs.first, !FileSeal.isSealed(output, host: host) else { continue }
            let folder = URL(fileURLWithPath: output).deletingLastPathComponent()
            do {
                try CacheLocation.createFolders(folder)
            } catch {
                throw ExecutionError.step("cannot write vmlinux.h into \(folder.path): \(FoundationErrorText.describe(error) ?? "\(error)"); set GADGETC_CACHE_DIR (or XDG_CACHE_HOME) to a writable folder, or pass -I DIR with <arch>/vmlinux.h")
            }
            try GeneratedVmlinux.generate(fromBTF: URL(fileURLWithPath: btf), to: URL(fileURLWithPath: output))
        }
        let host = Architecture(rawValue: report.hostArchitecture) ?? Architecture.host ?? .amd64
        return CompilationDatabase(plan: plan, hostArchitecture: host)
    }
}
