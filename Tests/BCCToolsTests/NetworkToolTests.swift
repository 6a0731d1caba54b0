import Foundation
import Glibc
import Testing
import TestSupport

/// tcpstates, tcplife, tcpconnect, tcpaccept, tcpretrans and tcpdrop against
/// TCP connections the test makes on loopback (IPv4 and IPv6), with ports it knows.
@Suite(.serialized) struct NetworkToolTests {
    static func columns(_ line: String) -> [String] {
        line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
    }

    static let families = [LoopbackTCP(family: AF_INET), LoopbackTCP(family: AF_INET6)]

    @Test func connectAcceptLifeAndStatesOfLoopbackConnections() throws {
        let me = String(getpid())
        let connect = try ToolProcess("tcpconnect", ["-L", "-U"])
        let accept = try ToolProcess("tcpaccept", ["-p", me])
        let life = try ToolProcess("tcplife", ["-p", me, "-w"])
        let states = try ToolProcess("tcpstates", ["-w"])
        try #require(connect.waitForLine { $0.hasPrefix("UID   PID     COMM         IP SADDR            LPORT  DADDR") } != nil,
                     "stderr: \(connect.standardError)")
        try #require(accept.waitForLine { $0 == "PID     COMM         IP RADDR            RPORT LADDR            LPORT" } != nil,
                     "stderr: \(accept.standardError)")
        try #require(life.waitForLine { $0.hasPrefix("PID   COMM             IP LADDR") } != nil, "stderr: \(life.standardError)")
        try #require(states.waitForLine { $0.hasPrefix("SKADDR           C-PID C-COMM           IP LADDR") } != nil,
                     "stderr: \(states.standardError)")

        for tcp in Self.families {
            let version = tcp.family == AF_INET6 ? "6" : "4"
            let (server, client) = try tcp.exchange(bytes: 10_000)

            // tcpconnect: UID PID COMM IP SADDR LPORT DADDR DPORT
            let connected = try #require(connect.waitForLine { Self.columns($0).count == 8 && Self.columns($0)[7] == String(server) },
                                         "no connect to \(tcp.address):\(server); output: \(connect.outputLines)")
            #expect(Self.columns(connected) == [String(getuid()), me, Self.columns(connected)[2], version, tcp.address,
                                                String(client), tcp.address, String(server)])

            // tcpaccept: PID COMM IP RADDR RPORT LADDR LPORT
            let accepted = try #require(accept.waitForLine { Self.columns($0).last == String(server) },
                                        "no accept on \(server); output: \(accept.outputLines)")
            #expect(Self.columns(accepted) == [me, Self.columns(accepted)[1], version, tcp.address, String(client),
                                               tcp.address, String(server)])

            // tcplife -w: PID COMM IP LADDR LPORT RADDR RPORT TX_KB RX_KB MS; the client's session sent 9 KiB.
            let session = try #require(life.waitForLine { Self.columns($0).count == 10 && Self.columns($0)[4] == String(client) },
                                       "no session from \(client); output: \(life.outputLines)")
            let fields = Self.columns(session)
            #expect(fields[0] == me)
            #expect(fields[2...7] == [version, tcp.address, String(client), tcp.address, String(server), "9"])
            #expect(Double(fields[9]).map { $0 >= 0 && $0 < 10_000 } == true)

            // tcpstates -w: the client's socket from CLOSE through SYN_SENT and ESTABLISHED to CLOSE.
            _ = states.waitForLine { $0.contains(" \(client) ") && $0.contains("-> CLOSE ") }
            let changes = states.outputLines.filter {
                let c = Self.columns($0)
                return c.count == 12 && c[3] == version && c[5] == String(client) && c[7] == String(server)
            }.map { Self.columns($0)[8] + "->" + Self.columns($0)[10] }
            // At CLOSE -> SYN_SENT the source port is not chosen yet (0).
            #expect(changes.first == "SYN_SENT->ESTABLISHED", "\(changes)")
            #expect(changes.last == "FIN_WAIT2->CLOSE", "\(changes)")
            let synSent = try #require(states.outputLines.first { $0.contains(" \(server) ") && $0.contains("CLOSE       -> SYN_SENT") })
            #expect(Self.columns(synSent)[1] == me)
        }
        for tool in [connect, accept, life, states] { #expect(tool.stop() == 0, "stderr: \(tool.standardError)") }
    }

    @Test func portAndFamilyFiltersKeepOnlyTheirConnections() throws {
        let (listener, port) = try LoopbackTCP(family: AF_INET6).listen()
        defer { close(listener) }
        let states = try ToolProcess("tcpstates", ["-6", "-L", "\(port)", "-s"])
        let connect = try ToolProcess("tcpconnect", ["-4", "-P", "\(port)"])
        try #require(states.waitForLine { $0 == "SKADDR,C-PID,C-COMM,IP,LADDR,LPORT,RADDR,RPORT,OLDSTATE,NEWSTATE,MS" } != nil,
                     "stderr: \(states.standardError)")
        try #require(connect.waitForLine { $0.hasPrefix("PID") } != nil, "stderr: \(connect.standardError)")
        let client = try LoopbackTCP(family: AF_INET6).connect(port: port)
        defer { close(client.descriptor) }
        let line = try #require(states.waitForLine { $0.contains(",SYN_RECV,ESTABLISHED,") },
                                "output: \(states.outputLines)")
        let csv = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        #expect(csv[3...7] == ["6", "::1", String(port), "::1", String(client.port)])
        _ = connect.waitForLine(timeout: 1) { _ in false }
        #expect(connect.outputLines.count == 2, "an IPv6 connect is not shown with -4: \(connect.outputLines)")
        #expect(states.outputLines.dropFirst().allSatisfy { $0.split(separator: ",")[5] == Substring(String(port)) })
        #expect(states.stop() == 0)
        #expect(connect.stop() == 0)
    }

    @Test func tcpacceptPrintsJSONRecords() throws {
        let tcp = LoopbackTCP(family: AF_INET)
        let (listener, port) = try tcp.listen()
        defer { close(listener) }
        let tool = try ToolProcess("tcpaccept", ["-j", "-P", String(port)])
        // -j prints no header: connect until a record shows (the probes attach after the compile).
        var found: String?
        let deadline = Date().addingTimeInterval(30)
        while found == nil && Date() < deadline {
            let client = try tcp.connect(port: port)
            close(accept(listener, nil, nil))
            close(client.descriptor)
            found = tool.waitForLine(timeout: 0.5) {
                $0.hasPrefix(#"{"table":"events","fields":{"#) && $0.contains(#""pid":\#(getpid()),"#)
                    && $0.contains(#""family":2,"lport":\#(port),"#)
            }
        }
        #expect(found != nil, "output: \(tool.outputLines) stderr: \(tool.standardError)")
        #expect(tool.outputLines.allSatisfy { $0.hasPrefix("{") })
        #expect(tool.stop() == 0)
    }

    @Test func retransmitsAndDropsOfAFilteredSYN() throws {
        let retrans = try ToolProcess("tcpretrans", ["-s"])
        let drop = try ToolProcess("tcpdrop", [])
        try #require(retrans.waitForLine { $0.hasPrefix("TIME     PID     IP LADDR:LPORT          T> RADDR:RPORT          STATE") } != nil,
                     "stderr: \(retrans.standardError)")
        try #require(drop.waitForLine { $0.hasPrefix("TIME     PID     IP SADDR:SPORT") } != nil, "stderr: \(drop.standardError)")
        for tcp in Self.families {
            let version = tcp.family == AF_INET6 ? "6" : "4"
            // A listener whose socket filter drops every packet: the SYN is dropped
            // (SOCKET_FILTER) and retransmitted after the initial RTO, one second.
            let (listener, port) = try tcp.listen(dropAll: true)
            defer { close(listener) }
            let client = try tcp.connect(port: port, blocking: false)
            defer { close(client.descriptor) }
            let local = "\(tcp.address):\(client.port)"
            let remote = "\(tcp.address):\(port)"

            let retransmit = try #require(retrans.waitForLine { Self.columns($0).contains(local) },
                                          "no retransmit from \(local); output: \(retrans.outputLines)")
            let r = Self.columns(retransmit)
            #expect(r.count == 8 && r[2] == version && r[3] == local && r[4] == "R>" && r[5] == remote && r[6] == "SYN_SENT")
            #expect(UInt32(r.last ?? "") != nil, "-s shows the sequence number")

            let dropped = try #require(drop.waitForLine { Self.columns($0).contains(local) },
                                       "no drop from \(local); output: \(drop.outputLines)")
            let d = Self.columns(dropped)
            #expect(d[2...8] == [version, local, ">", remote, "LISTEN", "(SYN)", "SOCKET_FILTER"], "\(dropped)")
            // The kernel stack follows on tab-indented lines, then a blank line.
            let index = try #require(drop.outputLines.firstIndex(of: dropped))
            _ = drop.waitForLine { _ in drop.outputLines[(index + 1)...].contains("") }
            let stack = drop.outputLines[(index + 1)...].prefix { $0.hasPrefix("\t") }
            #expect(stack.contains { $0.contains(tcp.family == AF_INET6 ? "tcp_v6_rcv" : "tcp_v4_rcv") }, "\(stack)")
        }
        #expect(retrans.stop() == 0)
        #expect(drop.stop() == 0)
    }

    @Test func tailLossProbesNeedAKprobe() throws {
        let tool = try ToolProcess("tcpretrans", ["-l"])
        let status = tool.waitForExit(timeout: 30)
        if FileManager.default.fileExists(atPath: "/sys/bus/event_source/devices/kprobe") {
            _ = tool.stop()
            return  // kprobes exist here: -l works
        }
        #expect(status == 1)
        #expect(tool.standardError.contains("kprobe tcp_send_loss_probe"), "\(tool.standardError)")
        #expect(tool.standardError.contains("not supported"))
    }

    @Test func badPortListsAreRejected() throws {
        let tool = try ToolProcess("tcpstates", ["-L", "80,http"])
        #expect(tool.waitForExit(timeout: 20) == 64)
        #expect(tool.standardError.contains("-L: 'http' is not a port (1-65535)"), "\(tool.standardError)")
    }
}
