import BCC
import EBPF
import Foundation
import Glibc
import Testing
import TestSupport

/// Socket programs from a bcc program: an HTTP filter on a raw socket bound
/// to a veth, and sk_msg / sk_skb redirection between local TCP sockets
/// through a sockhash.
@Suite struct NetworkSocketTests {
    @Test func httpFilterPassesOnlyHTTPRequestsToItsSocket() throws {
        let pair = try TestVethPair()
        defer { pair.close() }
        let b = try BPF(text: NetworkPrograms.httpFilter)
        defer { b.close() }
        let error = #expect(throws: BCCError.self) { try b.function(named: "http_filter") }
        #expect(error?.description.contains("depends on how it is attached") == true, "\(String(describing: error))")

        let socket = try b.attachRawSocket(fnName: "http_filter", dev: pair.host)
        #expect(try b.function(named: "http_filter").type == .socketFilter)
        let (listener, port) = try TestNetwork.listenTCP(on: pair.hostAddress)
        defer { close(listener) }
        try pair.sendTCP(Array("HELLO this is not HTTP\r\n".utf8), port: port)
        try pair.sendTCP(Array("GET /index.html HTTP/1.1\r\nHost: swift-bcc\r\n\r\n".utf8), port: port)
        let frames = NetworkPrograms.frames(from: socket) { $0.contains { $0.contains(text: "GET /index.html") } }
        #expect(frames.contains { $0.contains(text: "GET /index.html HTTP/1.1") })
        #expect(!frames.contains { $0.contains(text: "HELLO this") })
        #expect(frames.allSatisfy { $0.contains(text: "HTTP/1.1") }, "no handshake or other segment passed the filter")

        try b.detachRawSocket(fnName: "http_filter", dev: pair.host)
        #expect(b.attachedProbes.isEmpty)
    }

    /// Two connections over loopback: (client1, server1) and (client2, server2).
    struct Connections {
        let listener: Int32
        let client1: Int32, server1: Int32, client2: Int32, server2: Int32

        init() throws {
            let (listener, port) = try TestNetwork.listenTCP(on: "127.0.0.1")
            self.listener = listener
            func connectClient() throws -> Int32 {
                let fd = try TestNetwork.openSocket(namespace: nil, domain: AF_INET, type: Int32(SOCK_STREAM.rawValue), protocol: 0)
                var address = TestNetwork.socketAddress("127.0.0.1", port: port)
                let connected = withUnsafePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
                }
                guard connected == 0 else { throw FixtureError(message: "connect: errno \(errno)") }
                TestNetwork.setReceiveTimeout(fd, milliseconds: 2000)
                return fd
            }
            client1 = try connectClient()
            server1 = accept(listener, nil, nil)
            client2 = try connectClient()
            server2 = accept(listener, nil, nil)
            for fd in [server1, server2] { TestNetwork.setReceiveTimeout(fd, milliseconds: 2000) }
        }

        func close() {
            for fd in [client1, server1, client2, server2, listener] { Glibc.close(fd) }
        }

        static func send(_ text: String, on fd: Int32) -> Int {
            Array(text.utf8).withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, 0) }
        }

        static func receive(on fd: Int32, flags: Int32 = 0) -> String? {
            var buffer = [UInt8](repeating: 0, count: 256)
            let count = recv(fd, &buffer, buffer.count, flags)
            return count > 0 ? String(decoding: buffer[..<count], as: UTF8.self) : nil
        }
    }

    @Test func skMsgRedirectsSendsToAnotherSocket() throws {
        let connections = try Connections()
        defer { connections.close() }
        let b = try BPF(text: """
            BPF_SOCKHASH(socks, u32, 8);
            BPF_ARRAY(redirected, u64, 1);

            int redirect_to_key_one(struct sk_msg_md *msg) {
                u32 key = 1;
                redirected.increment(0);
                return socks.msg_redirect_hash(msg, &key, BPF_F_INGRESS);
            }
            """)
        defer { b.close() }
        // Sockets added after the attach run the program.
        try b.attachFunc(fnName: "redirect_to_key_one", table: "socks", attachType: .skMsgVerdict)
        try b["socks"].setSocket(connections.client1, at: UInt32(0))
        try b["socks"].setSocket(connections.client2, at: UInt32(1))
        #expect(Connections.send("through the sockhash", on: connections.client1) == 20)
        #expect(Connections.receive(on: connections.client2) == "through the sockhash", "redirected into client2's receive queue")
        #expect(Connections.receive(on: connections.server1, flags: Int32(MSG_DONTWAIT)) == nil, "never reached its own peer")
        #expect(try b["redirected"].typed(key: Int32.self, value: UInt64.self)[0] == 1)

        try b.detachFunc(fnName: "redirect_to_key_one", table: "socks", attachType: .skMsgVerdict)
        #expect(throws: BCCError.self) { try b.detachFunc(fnName: "redirect_to_key_one", table: "socks", attachType: .skMsgVerdict) }
    }

    @Test func skSkbVerdictRedirectsReceivedData() throws {
        let connections = try Connections()
        defer { connections.close() }
        let b = try BPF(text: """
            BPF_SOCKHASH(socks, u32, 8);

            int redirect_received(struct __sk_buff *skb) {
                u32 key = 1;
                return socks.sk_redirect_hash(skb, &key, BPF_F_INGRESS);
            }
            """)
        defer { b.close() }
        try b.attachFunc(fnName: "redirect_received", table: "socks", attachType: .skSKBStreamVerdict)
        #expect(try b.function(named: "redirect_received").type == .skSKB)
        // What arrives at server1 goes to server2's receive queue instead.
        try b["socks"].setSocket(connections.server1, at: UInt32(0))
        try b["socks"].setSocket(connections.server2, at: UInt32(1))
        #expect(Connections.send("redirected on receive", on: connections.client1) == 21)
        #expect(Connections.receive(on: connections.server2) == "redirected on receive")
        #expect(Connections.receive(on: connections.server1, flags: Int32(MSG_DONTWAIT)) == nil)
    }
}
