import Foundation

/// A new, empty folder under the temporary directory for one test: unit tests write nowhere else.
struct TemporaryFolder {
    let url: URL

    init(_ label: String) throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("gadgetc-test-\(label)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    var path: String { url.path }

    func remove() { try? FileManager.default.removeItem(at: url) }

    /// Writes `text` at `relative` (creating folders), optionally with an older modification time.
    @discardableResult
    func write(_ relative: String, _ text: String = "x", age: TimeInterval = 0) throws -> String {
        let file = url.appendingPathComponent(relative)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: file)
        if age > 0 { try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -age)], ofItemAtPath: file.path) }
        return file.path
    }

    func exists(_ relative: String) -> Bool {
        var info = stat()
        return lstat(url.appendingPathComponent(relative).path, &info) == 0
    }
}

/// The id of a process that has exited and been reaped.
func deadProcessID() throws -> pid_t {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/true")
    try process.run()
    process.waitUntilExit()
    return process.processIdentifier
}
