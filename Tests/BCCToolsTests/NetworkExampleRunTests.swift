import Foundation
import Glibc
import Testing
import TestSupport

/// The network examples on a veth pair of the test's own: xdp-drop-count
/// reports the echo requests it drops, http-filter prints a request line.
@Suite struct NetworkExampleRunTests {
    @Test func xdpDropCountReportsDroppedICMP() throws {
        let pair = try TestVethPair()
        defer { pair.close() }
        let tool = try ToolProcess("xdp-drop-count", [pair.host])
        try #require(tool.waitForLine { $0.hasPrefix("Printing drops per IP protocol-number") } != nil,
                     "stderr: \(tool.standardError)")
        #expect(try pair.ping(count: 4, timeout: 300) == 0, "XDP drops the echo requests")
        let line = try #require(tool.waitForLine { $0.hasPrefix("1: ") }, "no ICMP line; stderr: \(tool.standardError)")
        #expect(line.hasSuffix(" pkt/s"))
        #expect(tool.stop() == 0)
        #expect(!(try TestNetwork.ip(["link", "show", pair.host]).stdout.contains("xdp")), "the program is detached on exit")
        #expect(try pair.ping(count: 1) == 1)
    }

    @Test func httpFilterPrintsTheRequestLine() throws {
        let pair = try TestVethPair()
        defer { pair.close() }
        let tool = try ToolProcess("http-filter", ["-i", pair.host])
        try #require(tool.waitForLine { $0.hasPrefix("Watching HTTP on \(pair.host)") } != nil, "stderr: \(tool.standardError)")
        let (listener, port) = try TestNetwork.listenTCP(on: pair.hostAddress)
        defer { close(listener) }
        try pair.sendTCP(Array("NOT HTTP AT ALL\r\n".utf8), port: port)
        try pair.sendTCP(Array("GET /swift-bcc HTTP/1.1\r\nHost: example\r\n\r\n".utf8), port: port)
        let line = try #require(tool.waitForLine { $0.contains("GET /swift-bcc") }, "stderr: \(tool.standardError)")
        #expect(line == "\(pair.peerAddress):\(line.split(separator: " ")[0].split(separator: ":")[1]) -> \(pair.hostAddress):\(port) GET /swift-bcc HTTP/1.1")
        #expect(tool.stop() == 0)
        #expect(!tool.outputLines.contains { $0.contains("NOT HTTP") })
    }
}
