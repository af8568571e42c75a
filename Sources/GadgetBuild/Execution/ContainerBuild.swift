import Foundation

/// Runs a plan's container jobs in the builder image: makes sure the image is there (per the pull
/// policy), starts one container as ig does (`sleep inf`, gadget at /work read-only, output at /out,
/// no network, the caller's uid:gid unless the engine is rootless), execs the compiles in it, and
/// removes it afterwards — on success, on failure and on cancellation (Ctrl-C).
struct ContainerBuild {
    let settings: ContainerSettings
    let observer: BuildObserver
    /// The environment that names the engine (DOCKER_HOST, CONTAINER_HOST, XDG_RUNTIME_DIR).
    let environment: [String: String]

    func run(_ plan: BuildPlan, gadget: GadgetFolder, compat: String?, executor: BuildExecutor) async throws -> ExecutionResult {
        let socket = try EngineSocket.discover(option: settings.engineOption, environment: environment,
                                               fileExists: { FileManager.default.fileExists(atPath: $0) })
        let engine = EngineClient(socket: socket)
        let image = try ContainerImageReference(parsing: settings.image)
        let observer = self.observer
        let resolution = try await BuilderImage.ensure(image, policy: settings.pullPolicy, client: engine) { observer.pullProgress($0) }
        for note in resolution.notes { observer.note(note) }
        let info = try await engine.info()

        // The output folder must exist before it is mounted; the caller's uid owns what the build writes.
        for arch in plan.architectures {
            try FileManager.default.createDirectory(atPath: "\(plan.workDirectory)/\(arch)", withIntermediateDirectories: true)
        }
        var mounts = [ContainerLayout.source: gadget.root.path, ContainerLayout.output: plan.workDirectory]
        if let compat { mounts[ContainerLayout.compat] = compat }
        var writable: Set<String> = [ContainerLayout.output]
        for mount in plan.containerMounts {
            // The wasm toolchains' caches are made here, owned by the user the container runs as.
            if mount.writable {
                try FileManager.default.createDirectory(atPath: mount.host, withIntermediateDirectories: true)
                writable.insert(mount.inside)
            }
            mounts[mount.inside] = mount.host
        }
        // Sorted by the path inside: a folder is mounted before the ones below it.
        let binds = mounts.sorted { $0.key < $1.key }.map { inside, host in "\(host):\(inside):\(writable.contains(inside) ? "rw" : "ro")" }
        // A label of this build's own: if Ctrl-C lands while the engine is still creating the container,
        // its id never reaches us, but the label still finds it.
        let label = "\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let spec = ContainerSpec(image: image, binds: binds, user: info.rootless ? nil : "\(getuid()):\(getgid())",
                                 networkMode: "none", workingDir: ContainerLayout.source,
                                 labels: [Self.label: label, Self.processLabel: "\(getpid())"])
        let identity = "\(image) \(resolution.present.id)"
        do {
            return try await engine.withContainer(spec) { container in
                var inside = executor
                inside.container = BuilderContainerToolchain(runner: ContainerCommandRunner(engine: engine, container: container),
                                                             image: identity, mounts: mounts)
                return try await inside.execute(plan)
            }
        } catch {
            await Task.detached {
                for id in (try? await engine.containers(label: "\(Self.label)=\(label)")) ?? [] {
                    try? await engine.remove(container: id, force: true)
                }
            }.value
            throw error
        }
    }

    /// Marks gadgetc's build containers (value: unique per build).
    static let label = "io.gadgetc.build"
    /// The gadgetc process that made the container.
    static let processLabel = "io.gadgetc.pid"
}
