import Netlink
import Testing

/// Link and traffic-control payloads: the layouts of ifinfomsg and tcmsg,
/// the XDP and clsact requests, and decoding of what dumps return.
@Suite struct RtnetlinkTests {
    @Test func settingXDPEncodesTheNestedAttributes() throws {
        let message = LinkMessage.settingXDP(index: 7, programFD: 12, flags: 2 | 16, expectedProgramFD: 9)
        let bytes = message.encoded()
        #expect(bytes.count == LinkMessage.headerSize + 4 + 3 * 8)
        #expect(Array(bytes[4..<8]) == NetlinkMessageTests.bytes(Int32(7)))
        let decoded = try LinkMessage(decoding: bytes)
        #expect(decoded == message)
        let xdp = try #require(decoded.attributes.first(LinkAttribute.xdp))
        #expect(xdp.isNested)
        let nested = try xdp.nested()
        #expect(try nested.integer(XDPAttribute.fd, as: Int32.self) == 12)
        #expect(try nested.integer(XDPAttribute.flags, as: UInt32.self) == 18)
        #expect(try nested.integer(XDPAttribute.expectedFD, as: Int32.self) == 9)
    }

    @Test func detachingXDPSendsMinusOneWithoutFlags() throws {
        let nested = try #require(LinkMessage.settingXDP(index: 3, programFD: -1, flags: 0).attributes.first).nested()
        #expect(nested == [NetlinkAttribute(type: XDPAttribute.fd, integer: Int32(-1))])
    }

    @Test func linkDumpEntryGivesNameAndXDPPrograms() throws {
        let entry = LinkMessage(index: 5, attributes: [
            NetlinkAttribute(type: LinkAttribute.mtu, integer: UInt32(1500)),
            NetlinkAttribute(type: LinkAttribute.name, string: "veth1"),
            NetlinkAttribute(type: LinkAttribute.xdp, nested: [
                NetlinkAttribute(type: XDPAttribute.attached, integer: UInt8(2)),
                NetlinkAttribute(type: XDPAttribute.genericProgramID, integer: UInt32(88)),
                NetlinkAttribute(type: XDPAttribute.programID, integer: UInt32(88)),
            ]),
        ], deviceType: 1, flags: 0x1003)
        let decoded = try LinkMessage(decoding: entry.encoded())
        #expect(decoded.name == "veth1")
        #expect(decoded.deviceType == 1)
        let xdp = try #require(try decoded.xdp())
        #expect(xdp.attached == .generic)
        #expect(xdp.programIDs == [88])
        #expect(try LinkMessage(decoding: LinkMessage(index: 1).encoded()).xdp() == nil)
    }

    @Test func clsactQdiscHasTheFixedHandles() throws {
        let qdisc = TrafficControlMessage.clsactQdisc(interfaceIndex: 4)
        let bytes = qdisc.encoded()
        #expect(bytes.count == TrafficControlMessage.headerSize + 12)  // "clsact\0": 4 + 7 -> 12
        #expect(Array(bytes[8..<12]) == NetlinkMessageTests.bytes(UInt32(0xFFFF_0000)))
        #expect(Array(bytes[12..<16]) == NetlinkMessageTests.bytes(UInt32(0xFFFF_FFF1)))
        #expect(try TrafficControlMessage(decoding: bytes).kind == "clsact")
    }

    @Test func bpfFilterNamesProgramPriorityAndProtocol() throws {
        let filter = TrafficControlMessage.bpfFilter(interfaceIndex: 4, parent: TrafficControlHandle.egress, priority: 49152,
                                                     handle: 1, programFD: 21, programName: "count_egress")
        let decoded = try TrafficControlMessage(decoding: filter.encoded())
        #expect(decoded.parent == 0xFFFF_FFF3)
        #expect(decoded.priority == 49152)
        #expect(decoded.protocolNumber == TrafficControlHandle.allProtocols)
        // The protocol is in network byte order: ETH_P_ALL's bytes are 00 03.
        #expect(withUnsafeBytes(of: decoded.info) { Array($0) }.contains(3))
        let options = try #require(decoded.attributes.first(TrafficControlAttribute.options)).nested()
        #expect(try options.integer(BPFFilterAttribute.fd, as: UInt32.self) == 21)
        #expect(options.first(BPFFilterAttribute.name)?.string == "count_egress")
        #expect(try options.integer(BPFFilterAttribute.flags, as: UInt32.self) == BPFFilterOptions.directActionFlag)
    }

    @Test func bpfFilterDumpEntryGivesTheProgram() throws {
        let entry = TrafficControlMessage(interfaceIndex: 4, handle: 1, parent: TrafficControlHandle.ingress,
                                          info: 1 << 16 | UInt32(UInt16(3).bigEndian), attributes: [
            NetlinkAttribute(type: TrafficControlAttribute.kind, string: "bpf"),
            NetlinkAttribute(type: TrafficControlAttribute.chain, integer: UInt32(0)),
            NetlinkAttribute(type: TrafficControlAttribute.options, nested: [
                NetlinkAttribute(type: BPFFilterAttribute.name, string: "count_ingress"),
                NetlinkAttribute(type: BPFFilterAttribute.flags, integer: UInt32(1)),
                NetlinkAttribute(type: BPFFilterAttribute.programID, integer: UInt32(321)),
            ]),
        ])
        let options = try #require(try TrafficControlMessage(decoding: entry.encoded()).bpfFilterOptions())
        #expect(options.programID == 321)
        #expect(options.name == "count_ingress")
        #expect(options.isDirectAction)
        #expect(try TrafficControlMessage.clsactQdisc(interfaceIndex: 1).bpfFilterOptions() == nil)
    }

    @Test func shortHeadersAreErrors() {
        #expect(throws: NetlinkError.truncated(what: "link message header", offset: 0, needed: 16, available: 3)) {
            try LinkMessage(decoding: [1, 2, 3])
        }
        #expect(throws: NetlinkError.truncated(what: "traffic control message header", offset: 0, needed: 20, available: 16)) {
            try TrafficControlMessage(decoding: [UInt8](repeating: 0, count: 16))
        }
    }
}
