import Foundation

extension BuildDriver {
    /// Where `--update-metadata` takes its descriptions: the C comments of the gadget's sources, read
    /// by libclang with the flags of `arch`'s native compiles. Else ig's placeholders, with a one-line
    /// note saying why (no libclang, only the builder container compiles `arch`, a parse that failed).
    func metadataDescriptions(_ plan: BuildPlan, arch: Architecture, object: BPFObjectSummary) -> (source: any FieldDescriptionSource, note: String?) {
        let compiles = plan.jobs(.compile).filter { $0.arch == arch }
        guard !compiles.isEmpty else { return (PlaceholderDescriptions(), nil) }
        guard compiles.allSatisfy({ $0.toolchain == .native }) else {
            return (PlaceholderDescriptions(), "descriptions from C comments need a native compile; \(arch) is built in the builder container (TODO placeholders written)")
        }
        let library: Libclang
        do { library = try Libclang.load(environment: host.environment, compiler: plan.compiler?.path) } catch {
            return (PlaceholderDescriptions(), "descriptions from C comments need libclang (TODO placeholders written): \(error)")
        }
        let structs = Set(MarkerDataSource.all(in: object).sources.flatMap(\.structs))
        let variables = Set(object.variables.map(\.name))
        var comments = SourceComments()
        for job in compiles {
            // The precompiled header (vmlinux.h and libbpf's headers: no comment gadget.yaml wants) is
            // kept when libclang can read it, which saves parsing vmlinux.h.
            guard let (source, arguments) = SourceCheck.frontEndCommand(job, library: library, compilerMajor: plan.compiler?.major) else { continue }
            do {
                comments.merge(try library.comments(source: source, arguments: arguments, structs: structs, variables: variables))
            } catch {
                return (PlaceholderDescriptions(), "\(error) (TODO placeholders written)")
            }
        }
        return (CommentDescriptions(comments: comments, object: object), nil)
    }
}
