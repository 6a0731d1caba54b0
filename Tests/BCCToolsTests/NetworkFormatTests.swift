import BCC
import BCCTools
import Glibc
import Testing

/// The network tools' text: names, addresses and port lists as bcc's tools
/// take and print them, and their headers and lines from records.
@Suite struct NetworkFormatTests {
    @Test func statesAndFlagsAsBccNamesThem() {
        #expect(TCPText.state(1) == "ESTABLISHED")
        #expect(TCPText.state(12) == "NEW_SYN_RECV")
        #expect(TCPText.state(42) == "42")
        #expect(TCPText.flags(0x02) == "SYN")
        #expect(TCPText.flags(0x12) == "SYN|ACK")
        #expect(TCPText.flags(0xff) == "FIN|SYN|RST|PSH|ACK|URG|ECE|CWR")
        #expect(TCPText.flags(0) == "")
    }

    @Test func addressesAsInetNtopWritesThem() {
        #expect(TCPText.address(family: UInt16(AF_INET), [127, 0, 0, 1]) == "127.0.0.1")
        #expect(TCPText.address(family: UInt16(AF_INET), [10, 1, 2, 3] + [UInt8](repeating: 9, count: 12)) == "10.1.2.3")
        #expect(TCPText.address(family: UInt16(AF_INET6), [UInt8](repeating: 0, count: 15) + [1]) == "::1")
        #expect(TCPText.address(family: UInt16(AF_INET6), [UInt8](repeating: 0, count: 10) + [0xff, 0xff, 192, 168, 0, 1])
                == "::ffff:192.168.0.1")
        #expect(TCPText.address(family: UInt16(AF_INET6), [0xfe, 0x80] + [UInt8](repeating: 0, count: 13) + [2]) == "fe80::2")
        // A short buffer is padded, never read past.
        #expect(TCPText.address(family: UInt16(AF_INET6), [0x20, 0x01]) == "2001::")
        #expect(TCPText.version(family: UInt16(AF_INET6)) == "6")
    }

    @Test func portListsAsTheOptionsTakeThem() throws {
        #expect(try TCPText.ports("80", option: "-L") == [80])
        #expect(try TCPText.ports("80, 81,65535", option: "-L") == [80, 81, 65535])
        for bad in ["", "80,", "0", "65536", "http", "-1"] {
            #expect(throws: PortListError.self) { try TCPText.ports(bad, option: "-D") }
        }
        do {
            _ = try TCPText.ports("80,x", option: "-P")
            Issue.record("accepted 80,x")
        } catch {
            #expect(error.description == "-P: 'x' is not a port (1-65535)")
        }
        #expect(try TCPText.portOption(nil, option: "-L") == nil)
    }

    @Test func familyFiltersAsC() {
        #expect(TCPFamilyFilter(ipv4: false, ipv6: false).skips("f") == "0")
        #expect(TCPFamilyFilter(ipv4: true, ipv6: false).skips("f") == "f != AF_INET")
        #expect(TCPFamilyFilter(ipv4: false, ipv6: true).skips("f") == "f != AF_INET6")
    }

    @Test func headersAreBccs() {
        #expect(TcpstatesProgram.Formatter(style: TCPLineStyle()).header
                == "SKADDR           C-PID C-COMM     LADDR           LPORT RADDR           RPORT OLDSTATE    -> NEWSTATE    MS")
        #expect(TcpstatesProgram.Formatter(style: TCPLineStyle(time: true, timestamp: true, csv: true)).header
                == "TIME,TIME(s),SKADDR,C-PID,C-COMM,IP,LADDR,LPORT,RADDR,RPORT,OLDSTATE,NEWSTATE,MS")
        #expect(TcplifeProgram.Formatter(style: TCPLineStyle()).header
                == "PID   COMM       LADDR           LPORT RADDR           RPORT TX_KB RX_KB MS")
        #expect(TcplifeProgram.Formatter(style: TCPLineStyle(time: true)).header.hasPrefix("TIME     PID   COMM"))
        #expect(TcpconnectProgram.Formatter(timestamp: true).header == "TIME(s)  PID     COMM         IP SADDR            DADDR            DPORT ")
        #expect(TcpacceptProgram.Formatter().header == "PID     COMM         IP RADDR            RPORT LADDR            LPORT")
        #expect(TcpretransProgram.header(sequence: false) == "TIME     PID     IP LADDR:LPORT          T> RADDR:RPORT          STATE")
        #expect(TcpdropProgram.header
                == "TIME     PID     IP SADDR:SPORT          > DADDR:DPORT          STATE (FLAGS)        REASON (CODE)")
        #expect(GethostlatencyProgram.header == "TIME      PID     COMM                  LATms HOST")
    }

    static func event<Record: BPFEvent>(_ type: Record.Type, _ fill: (inout Record) -> Void) -> Record {
        ToolEventMirrorTests.record(type, fill)
    }

    @Test func tcpstatesLinesFromRecords() {
        var formatter = TcpstatesProgram.Formatter(style: TCPLineStyle(timestamp: true))
        let first = Self.event(tcpstates_event_t.self) { event in
            event.skaddr = 0xffff_8881_0000_1000
            event.ts_us = 5_000_000
            event.span_us = 1234
            event.pid = 42
            event.oldstate = 2
            event.newstate = 1
            event.family = UInt16(AF_INET)
            event.lport = 40000
            event.dport = 80
            event.saddr.0 = 127; event.saddr.3 = 1
            event.daddr.0 = 10; event.daddr.3 = 7
            ToolEventMirrorTests.setText("curl", in: &event.task)
        }
        #expect(formatter.line(for: first, clock: "12:00:00")
                == "0.000000  ffff888100001000 42    curl       127.0.0.1       40000 10.0.0.7        80    SYN_SENT    -> ESTABLISHED 1.234")
        var later = first
        later.ts_us += 1_500_000
        #expect(formatter.line(for: later, clock: "12:00:01").hasPrefix("1.500000  "))
    }

    @Test func tcplifeLinesInKilobytesAndMilliseconds() {
        var formatter = TcplifeProgram.Formatter(style: TCPLineStyle(wide: true))
        let record = Self.event(tcplife_event_t.self) { event in
            event.span_us = 2_500
            event.tx_b = 10_000
            event.rx_b = 2_047
            event.pid = 7
            event.family = UInt16(AF_INET6)
            event.lport = 1
            event.dport = 2
            event.saddr.15 = 1
            event.daddr.15 = 1
            ToolEventMirrorTests.setText("a-long-command-name", in: &event.task)  // the kernel keeps 15 bytes
        }
        #expect(formatter.line(for: record, clock: "")
                == "7     a-long-command-  6  ::1                                     1     ::1                                     2          9      1 2.50")
    }

    @Test func countsAreOrderedAsBccOrdersThem() {
        var connects = TcpconnectProgram.Counts()
        for port: UInt16 in [80, 443, 443] {
            connects.add(Self.event(tcpconnect_event_t.self) { event in
                event.family = UInt16(AF_INET)
                event.dport = port
                event.saddr.0 = 127; event.saddr.3 = 1
                event.daddr.0 = 127; event.daddr.3 = 1
            })
        }
        #expect(connects.report.count == 4)
        #expect(connects.report[2].hasSuffix("443                  2         "))
        #expect(connects.report[3].hasSuffix("80                   1         "))

        var retransmits = TcpretransProgram.Counts()
        for port: UInt16 in [5, 6, 6] {
            retransmits.add(Self.event(tcpretrans_event_t.self) { event in
                event.family = UInt16(AF_INET)
                event.lport = port
                event.dport = 9
            })
        }
        #expect(retransmits.report == ["", "LADDR:LPORT               RADDR:RPORT               RETRANSMITS",
                                       "[0.0.0.0]#5          <-> [0.0.0.0]#9                   1",
                                       "[0.0.0.0]#6          <-> [0.0.0.0]#9                   2"])
    }

    @Test func tcpdropLinesNameTheReason() {
        let record = Self.event(tcpdrop_event_t.self) { event in
            event.pid = 3
            event.reason = 5
            event.family = UInt16(AF_INET)
            event.sport = 1000
            event.dport = 2000
            event.state = 10
            event.tcpflags = 0x02
        }
        #expect(TcpdropProgram.line(for: record, clock: "01:02:03", reasons: [5: "SOCKET_FILTER"])
                == "01:02:03 3       4  0.0.0.0:1000         > 0.0.0.0:2000         LISTEN (SYN)         SOCKET_FILTER (5)")
        #expect(TcpdropProgram.line(for: record, clock: "01:02:03", reasons: [:]).hasSuffix("UNKNOWN (5)"))
    }

    @Test func kernelDropReasonsComeFromBTF() throws {
        let reasons = try TcpdropProgram.reasonNames()
        #expect(reasons[2] == "NOT_SPECIFIED")
        #expect(reasons.values.contains("SOCKET_FILTER"))
        #expect(!reasons.values.contains("MAX"))
    }
}
