import Foundation
import Testing
@testable import GadgetBuild

@Suite("Pull stream and exec stream parsing")
struct StreamParsingTests {
    @Test func progressLinesSplitAnywhere() {
        let stream = """
        {"status":"Pulling from gadgetc/builder","id":"ci"}\r
        {"status":"Downloading","progressDetail":{"current":1024,"total":4096},"progress":"[==>   ]","id":"abc123"}\r
        {"status":"Status: Downloaded newer image for 127.0.0.1:5055/gadgetc/builder:ci"}\r

        """
        let bytes = Array(stream.utf8)
        for chunkSize in [1, 3, 7, 64, bytes.count] {
            var parser = PullStreamParser()
            var events: [PullStreamParser.Event] = []
            var index = 0
            while index < bytes.count {
                let end = min(index + chunkSize, bytes.count)
                events += parser.feed(bytes[index..<end])
                index = end
            }
            events += parser.finish()
            #expect(events == [
                .progress(PullProgress(id: "ci", status: "Pulling from gadgetc/builder")),
                .progress(PullProgress(id: "abc123", status: "Downloading", current: 1024, total: 4096)),
                .progress(PullProgress(id: nil, status: "Status: Downloaded newer image for 127.0.0.1:5055/gadgetc/builder:ci")),
            ], "chunk size \(chunkSize)")
        }
    }

    @Test func errorLineInA200Stream() {
        var parser = PullStreamParser()
        let events = parser.feed(Array("""
        {"status":"Pulling from x/y","id":"v1"}
        {"errorDetail":{"message":"manifest unknown: manifest unknown"},"error":"manifest unknown: manifest unknown"}
        """.utf8)) + parser.finish()
        #expect(events.last == .failure("manifest unknown: manifest unknown"))
    }

    @Test func podmanStyleErrorLineWithoutDetail() {
        let line = #"{"error":"initializing source docker://127.0.0.1:5056/x:y: connection refused","progressDetail":{}}"#
        #expect(PullStreamParser.parse(line: ArraySlice(line.utf8))
                == .failure("initializing source docker://127.0.0.1:5056/x:y: connection refused"))
    }

    @Test func lastLineWithoutNewline() {
        var parser = PullStreamParser()
        #expect(parser.feed(Array(#"{"error":"late"#.utf8)).isEmpty)
        #expect(parser.feed(Array(#" failure"}"#.utf8)).isEmpty)
        #expect(parser.finish() == [.failure("late failure")])
    }

    @Test func httpErrorBody() {
        let body = Data(#"{"message":"Get \"http://127.0.0.1:5056/v2/\": dial tcp 127.0.0.1:5056: connect: connection refused"}"#.utf8)
        #expect(engineErrorMessage(from: body) == #"Get "http://127.0.0.1:5056/v2/": dial tcp 127.0.0.1:5056: connect: connection refused"#)
        #expect(engineErrorMessage(from: Data("plain text\n".utf8)) == "plain text")
        #expect(engineErrorMessage(from: Data()) == "no message")
    }

    static func frame(_ stream: UInt8, _ text: String) -> [UInt8] {
        let payload = Array(text.utf8)
        let n = UInt32(payload.count)
        return [stream, 0, 0, 0, UInt8(n >> 24), UInt8((n >> 16) & 0xff), UInt8((n >> 8) & 0xff), UInt8(n & 0xff)] + payload
    }

    @Test func execStreamDemultiplexedAcrossChunks() throws {
        let long = String(repeating: "x", count: 70_000)
        let bytes = Self.frame(1, "clang version 16\n") + Self.frame(2, "warning: w\n") + Self.frame(1, "") +
            Self.frame(1, long) + Self.frame(2, "done\n")
        for chunkSize in [1, 5, 8, 9, 4096, bytes.count] {
            var demux = ExecStreamDemultiplexer()
            var index = 0
            while index < bytes.count {
                let end = min(index + chunkSize, bytes.count)
                try demux.feed(bytes[index..<end])
                index = end
            }
            try demux.finish()
            #expect(String(decoding: demux.stdout, as: UTF8.self) == "clang version 16\n" + long, "chunk size \(chunkSize)")
            #expect(String(decoding: demux.stderr, as: UTF8.self) == "warning: w\ndone\n")
        }
    }

    @Test func execStreamTruncatedOrGarbled() throws {
        var truncated = ExecStreamDemultiplexer()
        try truncated.feed(Self.frame(1, "hello").dropLast(2))
        #expect(throws: EngineError.self) { try truncated.finish() }

        var garbled = ExecStreamDemultiplexer()
        #expect(throws: EngineError.self) { try garbled.feed(Array("clang version 16.0.6\n".utf8)) }
    }

    @Test func createdDates() {
        let nanos = EngineClient.date("2025-11-25T09:10:11.123456789Z")
        let plain = EngineClient.date("2025-11-25T09:10:11Z")
        #expect(plain != nil)
        #expect(abs(nanos!.timeIntervalSince(plain!) - 0.123456789) < 1e-6)
        #expect(EngineClient.date("2025-11-25T09:10:11.5+02:00")!.timeIntervalSince(plain!) == -2 * 3600 + 0.5)
        #expect(EngineClient.date(NSNumber(value: 1_700_000_000)) == Date(timeIntervalSince1970: 1_700_000_000))
        #expect(EngineClient.date("") == nil)
    }
}
