import Foundation

extension EngineAPI {
    /// Creates and starts a container from `spec`, runs `body` with its id, and force-removes it
    /// afterwards — also when starting it or `body` fails, and when the task is cancelled (the
    /// removal runs in a task of its own so that a cancelled build leaves no container behind).
    public func withContainer<Result: Sendable>(
        _ spec: ContainerSpec,
        _ body: (String) async throws -> Result
    ) async throws -> Result {
        let id = try await createContainer(spec)
        let result: Result
        do {
            try await start(container: id)
            result = try await body(id)
        } catch {
            await removeIgnoringCancellation(id)
            throw error
        }
        try await Task.detached { try await self.remove(container: id, force: true) }.value
        return result
    }

    private func removeIgnoringCancellation(_ id: String) async {
        _ = await Task.detached { try? await self.remove(container: id, force: true) }.value
    }
}
