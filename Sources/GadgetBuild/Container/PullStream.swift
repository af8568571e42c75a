import Foundation

/// Reads the JSON-lines stream of `POST /images/create`.
///
/// Each line is one JSON object: progress (`{"status":"Downloading","id":"abc","progressDetail":
/// {"current":1,"total":9}}`) or a failure (`{"error":"…","errorDetail":{"message":"…"}}`). An
/// engine reports a failure this way even after answering HTTP 200 (Podman always, Docker for
/// failures after the pull started), so every line is checked. Bytes arrive in arbitrary chunks;
/// lines end with "\n" or "\r\n".
public struct PullStreamParser: Sendable {
    /// What one line says.
    public enum Event: Hashable, Sendable {
        case progress(PullProgress)
        case failure(String)
    }

    private var pending: [UInt8] = []

    public init() {}

    /// Feeds a chunk; returns the events of the lines it completes.
    public mutating func feed<Bytes: Sequence>(_ bytes: Bytes) -> [Event] where Bytes.Element == UInt8 {
        pending.append(contentsOf: bytes)
        var events: [Event] = []
        var start = 0
        while let newline = pending[start...].firstIndex(of: UInt8(ascii: "\n")) {
            if let event = PullStreamParser.parse(line: pending[start..<newline]) { events.append(event) }
            start = newline + 1
        }
        pending.removeFirst(start)
        return events
    }

    /// The event of a last line that had no newline.
    public mutating func finish() -> [Event] {
        defer { pending.removeAll() }
        return PullStreamParser.parse(line: pending[...]).map { [$0] } ?? []
    }

    /// Parses one line; blank lines give nil, a line that is not JSON is reported as progress text.
    public static func parse(line: ArraySlice<UInt8>) -> Event? {
        let text = String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else { return nil }
        guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
            return .progress(PullProgress(id: nil, status: text))
        }
        if let message = failureMessage(in: object) { return .failure(message) }
        let detail = object["progressDetail"] as? [String: Any]
        return .progress(PullProgress(
            id: (object["id"] as? String).flatMap { $0.isEmpty ? nil : $0 },
            status: object["status"] as? String ?? "",
            current: int64(detail?["current"]),
            total: int64(detail?["total"])
        ))
    }

    /// The message of a failure line: `errorDetail.message`, else `error`.
    static func failureMessage(in object: [String: Any]) -> String? {
        let detail = (object["errorDetail"] as? [String: Any])?["message"] as? String
        let error = object["error"] as? String
        for candidate in [detail, error] {
            if let candidate, !candidate.isEmpty { return candidate }
        }
        if object["errorDetail"] != nil || object["error"] != nil { return "the engine reported an error without a message" }
        return nil
    }

    static func int64(_ value: Any?) -> Int64? {
        switch value {
        case let number as NSNumber: return number.int64Value
        case let int as Int: return Int64(int)
        default: return nil
        }
    }
}

/// The message of an engine's HTTP error body (`{"message":"…"}`), or the body itself as text.
func engineErrorMessage(from body: Data) -> String {
    if let object = try? JSONSerialization.jsonObject(with: body) as? [String: Any] {
        if let message = object["message"] as? String, !message.isEmpty { return message }
        if let message = PullStreamParser.failureMessage(in: object) { return message }
    }
    let text = String(decoding: body, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    return text.isEmpty ? "no message" : text
}
