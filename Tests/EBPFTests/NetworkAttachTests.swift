import BPFObject
import Foundation
import Glibc
import Netlink
import Testing
import TestSupport
@testable import EBPF

/// XDP, tc, raw socket and BPF_PROG_ATTACH attachments on a veth pair made
/// for each test, checked through the kernel's own view (netlink dumps,
/// BPF_PROG_QUERY) and through traffic (ICMP echo from the peer namespace).
@Suite struct NetworkAttachTests {
    /// XDP_DROP (1) or XDP_PASS (2).
    static func xdpProgram(returning action: Int32, name: String) throws -> Program {
        try Program(type: .xdp, instructions: [.mov(.r0, action), .exit()], license: "GPL", name: name,
                    expectedAttachType: .xdp)
    }

    // MARK: - XDP

    @Test(arguments: [XDPLink.Mechanism.bpfLink, .netlink])
    func xdpDropStopsPingUntilClosed(mechanism: XDPLink.Mechanism) throws {
        let pair = try TestVethPair()
        defer { pair.close() }
        let interface = try NetworkInterface(name: pair.host)
        #expect(try pair.ping(count: 2) == 2)
        let program = try Self.xdpProgram(returning: 1, name: "drop_all")
        defer { program.close() }
        let link = try XDPLink(program: program, interface: interface, mechanism: mechanism)
        #expect(link.mechanism == mechanism)
        #expect(link.mode == .driver)  // veth has native XDP
        #expect(try interface.xdpState().programIDs == [program.id])
        #expect(try pair.ping(count: 2, timeout: 300) == 0)
        link.close()
        #expect(try interface.xdpState().programIDs.isEmpty)
        #expect(try pair.ping(count: 2) == 2)
    }

    @Test func genericModeIsReportedAsGeneric() throws {
        let pair = try TestVethPair()
        defer { pair.close() }
        let interface = try NetworkInterface(name: pair.host)
        let program = try Self.xdpProgram(returning: 2, name: "pass_all")
        defer { program.close() }
        let link = try XDPLink(program: program, interface: interface, flags: .generic)
        defer { link.close() }
        let state = try interface.xdpState()
        #expect(state.attached == .generic)
        #expect(state.genericProgramID == program.id)
        #expect(link.target == "XDP on device \(pair.host) (generic)")
    }

    @Test func secondProgramWithUpdateIfNoExistIsRefused() throws {
        let pair = try TestVethPair()
        defer { pair.close() }
        let interface = try NetworkInterface(name: pair.host)
        let first = try Self.xdpProgram(returning: 2, name: "first")
        let second = try Self.xdpProgram(returning: 2, name: "second")
        defer { first.close(); second.close() }
        let link = try XDPLink(program: first, interface: interface)
        defer { link.close() }
        let error = #expect(throws: BPFError.self) {
            try XDPLink(program: second, interface: interface, flags: .updateIfNoExist)
        }
        #expect(error?.description.contains("already runs an XDP program") == true, "\(String(describing: error))")
        #expect(try interface.xdpState().programIDs == [first.id])
    }

    @Test func automaticAttachReplacesANetlinkProgramAsBccDoes() throws {
        let pair = try TestVethPair()
        defer { pair.close() }
        let interface = try NetworkInterface(name: pair.host)
        let first = try Self.xdpProgram(returning: 2, name: "first")
        let second = try Self.xdpProgram(returning: 2, name: "second")
        defer { first.close(); second.close() }
        let old = try XDPLink(program: first, interface: interface, mechanism: .netlink)
        let new = try XDPLink(program: second, interface: interface)
        #expect(new.mechanism == .netlink)
        #expect(try interface.xdpState().programIDs == [second.id])
        // The replaced link's close must not detach the program that replaced it.
        old.close()
        #expect(try interface.xdpState().programIDs == [second.id])
        new.close()
        #expect(try interface.xdpState().programIDs.isEmpty)
    }

    @Test func removeDetachesWhateverNetlinkAttached() throws {
        let pair = try TestVethPair()
        defer { pair.close() }
        let interface = try NetworkInterface(name: pair.host)
        let program = try Self.xdpProgram(returning: 2, name: "pass_all")
        defer { program.close() }
        let link = try XDPLink(program: program, interface: interface, flags: .generic, mechanism: .netlink)
        defer { link.close() }
        try XDPLink.detach(interface: interface, flags: .generic)
        #expect(try interface.xdpState().programIDs.isEmpty)
    }

    @Test func offloadOnVethIsAClearError() throws {
        let pair = try TestVethPair()
        defer { pair.close() }
        let interface = try NetworkInterface(name: pair.host)
        let program = try Self.xdpProgram(returning: 2, name: "pass_all")
        defer { program.close() }
        for mechanism in [XDPLink.Mechanism.bpfLink, .netlink] {
            let error = #expect(throws: BPFError.self) {
                try XDPLink(program: program, interface: interface, flags: .offload, mechanism: mechanism)
            }
            #expect(error?.description.contains(pair.host) == true, "\(String(describing: error))")
        }
        #expect(try interface.xdpState().programIDs.isEmpty)
    }

    @Test func wrongProgramTypeAndUnknownInterfaceAreRefused() throws {
        let program = try Program(type: .schedCLS, instructions: [.mov(.r0, 0), .exit()], license: "GPL", name: "cls")
        defer { program.close() }
        #expect(throws: BPFError.notFound(what: "network interface 'sbnonexist0'")) { try NetworkInterface(name: "sbnonexist0") }
        let lo = try NetworkInterface(name: "lo")
        let error = #expect(throws: BPFError.self) { try XDPLink(program: program, interface: lo) }
        #expect(error?.description.contains("this needs a XDP program") == true, "\(String(describing: error))")
    }

    // MARK: - tc

    @Test func tcxLinkIsListedThenGone() throws {
        try #require(Features.isSupported(.tcxLinks), "tcx needs Linux 6.6+")
        let pair = try TestVethPair()
        defer { pair.close() }
        let interface = try NetworkInterface(name: pair.host)
        let program = try Program(type: .schedCLS, instructions: [.mov(.r0, 2 /* TC_ACT_SHOT */), .exit()], license: "GPL",
                                  name: "tc_drop")
        defer { program.close() }
        let link = try TCLink(program: program, interface: interface, direction: .ingress)
        #expect(link.mechanism == .tcx)
        #expect(try interface.tcxProgramIDs(.ingress) == [program.id])
        #expect(try interface.tcxProgramIDs(.egress).isEmpty)
        #expect(try interface.qdiscs().allSatisfy { $0.kind != "clsact" })
        #expect(try pair.ping(count: 2, timeout: 300) == 0)
        link.close()
        #expect(try interface.tcxProgramIDs(.ingress).isEmpty)
        #expect(try pair.ping(count: 2) == 2)
    }

    @Test func clsactFilterAddsAndRemovesItsQdisc() throws {
        let pair = try TestVethPair()
        defer { pair.close() }
        let interface = try NetworkInterface(name: pair.host)
        let program = try Program(type: .schedCLS, instructions: [.mov(.r0, 2 /* TC_ACT_SHOT */), .exit()], license: "GPL",
                                  name: "tc_drop")
        defer { program.close() }
        let ingress = try TCLink(program: program, interface: interface, direction: .ingress, mechanism: .netlink)
        let egress = try TCLink(program: program, interface: interface, direction: .egress, mechanism: .netlink)
        #expect(try interface.qdiscs().filter { $0.kind == "clsact" }.count == 1)
        let filters = try interface.filters(parent: TrafficControlHandle.ingress).compactMap { try $0.bpfFilterOptions() }
        #expect(filters.contains { $0.programID == program.id && $0.isDirectAction && $0.name == "tc_drop" })
        #expect(try pair.ping(count: 2, timeout: 300) == 0)
        // The qdisc stays while the egress filter needs it.
        ingress.close()
        #expect(try interface.filters(parent: TrafficControlHandle.ingress).isEmpty)
        #expect(try interface.qdiscs().contains { $0.kind == "clsact" })
        egress.close()
        #expect(try interface.qdiscs().allSatisfy { $0.kind != "clsact" })
        #expect(try pair.ping(count: 2) == 2)
    }

    @Test func clsactQdiscSomeoneElseAddedStays() throws {
        let pair = try TestVethPair()
        defer { pair.close() }
        let interface = try NetworkInterface(name: pair.host)
        let tc = ["/usr/sbin/tc", "/sbin/tc"].first { FileManager.default.isExecutableFile(atPath: $0) }
        let added = try TestSupport.run(try #require(tc, "needs iproute2's tc"), ["qdisc", "add", "dev", pair.host, "clsact"])
        try #require(added.status == 0, "tc qdisc add: \(added.stderr)")
        let program = try Program(type: .schedCLS, instructions: [.mov(.r0, 0), .exit()], license: "GPL", name: "tc_pass")
        defer { program.close() }
        let link = try TCLink(program: program, interface: interface, direction: .egress, mechanism: .netlink)
        link.close()
        #expect(try interface.qdiscs().contains { $0.kind == "clsact" })
        #expect(try interface.filters(parent: TrafficControlHandle.egress).isEmpty)
    }

    // MARK: - Raw sockets

    @Test func rawSocketQueuesOnlyWhatItsFilterPasses() throws {
        let pair = try TestVethPair()
        defer { pair.close() }
        let interface = try NetworkInterface(name: pair.host)
        let passAll = try Program(type: .socketFilter, instructions: [.mov(.r0, -1), .exit()], license: "GPL", name: "pass_all")
        let dropAll = try Program(type: .socketFilter, instructions: [.mov(.r0, 0), .exit()], license: "GPL", name: "drop_all")
        defer { passAll.close(); dropAll.close() }
        let passing = try RawSocketLink(program: passAll, interface: interface)
        let dropping = try RawSocketLink(program: dropAll, interface: interface)
        #expect(try pair.ping(count: 2) == 2)
        var frame = [UInt8](repeating: 0, count: 2048)
        var passed = 0
        while recv(passing.socketDescriptor, &frame, frame.count, 0) > 0 { passed += 1 }
        #expect(passed >= 4)  // two requests in, two replies out (and perhaps ARP)
        #expect(recv(dropping.socketDescriptor, &frame, frame.count, 0) == -1 && errno == EAGAIN)
        let descriptors = Descriptors.snapshot(passing.resources.descriptorNumbers + dropping.resources.descriptorNumbers)
        passing.close()
        dropping.close()
        #expect(passing.socketDescriptor == -1)
        #expect(Descriptors.allClosed(descriptors))
    }

    // MARK: - BPF_PROG_ATTACH

    @Test func skMsgVerdictOnSockHashIsQueriedThenDetached() throws {
        let map = try Map(type: .sockHash, name: "socks", keySize: 4, valueSize: 4, maxEntries: 8)
        defer { map.close() }
        let program = try Program(type: .skMsg, instructions: [.mov(.r0, 1 /* SK_PASS */), .exit()], license: "GPL",
                                  name: "msg_pass", expectedAttachType: .skMsgVerdict)
        defer { program.close() }
        let attachment = try ProgramAttachment(program: program, map: map, attachType: .skMsgVerdict)
        #expect(try Syscall.progQuery(target: map.fd.rawValue, attachType: .skMsgVerdict, object: "socks") == [program.id])
        attachment.close()
        #expect(try Syscall.progQuery(target: map.fd.rawValue, attachType: .skMsgVerdict, object: "socks").isEmpty)
        let error = #expect(throws: BPFError.self) {
            try ProgramAttachment(program: program, map: map, attachType: .skSKBStreamVerdict)
        }
        #expect(error?.description.contains("needs a sk_skb program") == true, "\(String(describing: error))")
    }
}
