// bcc's <bcc/proto.h>: packet headers for socket-filter programs that walk
// a packet with cursor_advance. A pointer to one of these holds an offset
// into the packet (the cursor starts at 0), and bcc turns each read of a
// member into a network-order load of its bits (bpf_dext_pkt) and each
// store into bpf_dins_pkt. The layouts are bcc's: members in network order,
// first member in the most significant bits.

/// One of bcc's packet header structs and the bits of its members.
package struct PacketHeader: Sendable {
    /// One member: its name, C type and width in bits (a bitfield, or the whole type).
    package struct Member: Sendable {
        package var name: String
        package var type: String
        package var bits: Int
        /// True for a `type name:bits;` bitfield, false for a plain member.
        package var isBitfield: Bool
    }

    /// The struct tag ("ip_t").
    package var name: String
    package var members: [Member]

    /// The member `name` with its offset in bits from the header's first bit (network order).
    package func member(named name: String) -> (member: Member, bitOffset: Int)? {
        var offset = 0
        for member in members {
            if member.name == name { return (member, offset) }
            offset += member.bits
        }
        return nil
    }

    /// The packed struct definition, on one line.
    var cDefinition: String {
        let fields = members.map { "\($0.type) \($0.name)\($0.isBitfield ? ":\($0.bits)" : "");" }.joined(separator: " ")
        return "struct \(name) { \(fields) } __attribute__((packed));"
    }

    /// bcc's headers, by tag.
    package static let all: [String: PacketHeader] = Dictionary(uniqueKeysWithValues: definitions.map { ($0.name, $0) })

    private static func field(_ name: String, _ type: String, _ bits: Int? = nil) -> Member {
        let width = bits ?? ["unsigned char": 8, "unsigned short": 16, "unsigned int": 32, "unsigned long long": 64][type] ?? 0
        return Member(name: name, type: type, bits: width, isBitfield: bits != nil)
    }

    private static let byte = "unsigned char", half = "unsigned short", word = "unsigned int", dword = "unsigned long long"

    private static let definitions: [PacketHeader] = [
        PacketHeader(name: "ethernet_t", members: [field("dst", dword, 48), field("src", dword, 48), field("type", word, 16)]),
        PacketHeader(name: "dot1q_t", members: [field("pri", half, 3), field("cfi", half, 1), field("vlanid", half, 12), field("type", half)]),
        PacketHeader(name: "arp_t", members: [
            field("htype", half), field("ptype", half), field("hlen", byte), field("plen", byte), field("oper", half),
            field("sha", dword, 48), field("spa", dword, 32), field("tha", dword, 48), field("tpa", word),
        ]),
        PacketHeader(name: "ip_t", members: [
            field("ver", byte, 4), field("hlen", byte, 4), field("tos", byte), field("tlen", half),
            field("identification", half), field("ffo_unused", half, 1), field("df", half, 1), field("mf", half, 1),
            field("foffset", half, 13), field("ttl", byte), field("nextp", byte), field("hchecksum", half),
            field("src", word), field("dst", word),
        ]),
        PacketHeader(name: "icmp_t", members: [field("type", byte), field("code", byte), field("checksum", half)]),
        PacketHeader(name: "ip6_t", members: [
            field("ver", word, 4), field("priority", word, 8), field("flow_label", word, 20), field("payload_len", half),
            field("next_header", byte), field("hop_limit", byte), field("src_hi", dword), field("src_lo", dword),
            field("dst_hi", dword), field("dst_lo", dword),
        ]),
        PacketHeader(name: "ip6_opt_t", members: [
            field("next_header", byte), field("ext_len", byte), Member(name: "pad[6]", type: byte, bits: 48, isBitfield: false),
        ]),
        PacketHeader(name: "icmp6_t", members: [field("type", byte), field("code", byte), field("checksum", half)]),
        PacketHeader(name: "udp_t", members: [field("sport", half), field("dport", half), field("length", half), field("crc", half)]),
        PacketHeader(name: "tcp_t", members: [
            field("src_port", half), field("dst_port", half), field("seq_num", word), field("ack_num", word),
            field("offset", byte, 4), field("reserved", byte, 4), field("flag_cwr", byte, 1), field("flag_ece", byte, 1),
            field("flag_urg", byte, 1), field("flag_ack", byte, 1), field("flag_psh", byte, 1), field("flag_rst", byte, 1),
            field("flag_syn", byte, 1), field("flag_fin", byte, 1), field("rcv_wnd", half), field("cksum", half),
            field("urg_ptr", half),
        ]),
        PacketHeader(name: "vxlan_t", members: [
            field("rsv1", word, 4), field("iflag", word, 1), field("rsv2", word, 3), field("rsv3", word, 24),
            field("key", word, 24), field("rsv4", word, 8),
        ]),
        PacketHeader(name: "vxlan_gbp_t", members: [
            field("gflag", word, 1), field("rsv1", word, 3), field("iflag", word, 1), field("rsv2", word, 3),
            field("rsv3", word, 1), field("dflag", word, 1), field("rsv4", word, 1), field("aflag", word, 1),
            field("rsv5", word, 3), field("tag", word, 16), field("key", word, 24), field("rsv6", word, 8),
        ]),
    ]
}
