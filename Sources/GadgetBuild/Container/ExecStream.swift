import Foundation

/// Splits the multiplexed output of an exec started with `Tty: false`.
///
/// The engine frames each write as an 8-byte header — byte 0 the stream (0 stdin, 1 stdout,
/// 2 stderr), bytes 1–3 zero, bytes 4–7 the payload length, big-endian — followed by the payload.
/// Frames arrive split across chunks in any way.
public struct ExecStreamDemultiplexer: Sendable {
    public private(set) var stdout = Data()
    public private(set) var stderr = Data()
    private var pending: [UInt8] = []
    private var cursor = 0

    public init() {}

    public mutating func feed<Bytes: Sequence>(_ bytes: Bytes) throws where Bytes.Element == UInt8 {
        pending.append(contentsOf: bytes)
        while pending.count - cursor >= 8 {
            let header = pending[cursor..<(cursor + 8)]
            let stream = header[cursor]
            guard stream <= 2, header[cursor + 1] == 0, header[cursor + 2] == 0, header[cursor + 3] == 0 else {
                throw EngineError.invalidResponse(
                    operation: "exec",
                    reason: "the output stream has a bad frame header \(header.map { String(format: "%02x", $0) }.joined())"
                )
            }
            let length = header[(cursor + 4)...].reduce(0) { ($0 << 8) | Int($1) }
            guard pending.count - cursor - 8 >= length else { break }
            let payload = pending[(cursor + 8)..<(cursor + 8 + length)]
            if stream == 2 { stderr.append(contentsOf: payload) } else { stdout.append(contentsOf: payload) }
            cursor += 8 + length
        }
        if cursor > 64 * 1024 || cursor == pending.count {
            pending.removeFirst(cursor)
            cursor = 0
        }
    }

    /// Checks that the stream ended on a frame boundary.
    public func finish() throws {
        if pending.count != cursor {
            throw EngineError.invalidResponse(
                operation: "exec",
                reason: "the output stream ended inside a frame (\(pending.count - cursor) bytes left over)"
            )
        }
    }
}
