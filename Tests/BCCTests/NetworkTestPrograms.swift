import BCC
import EBPF
import Foundation
import Glibc
import TestSupport

/// bcc programs for the network tests, and what they share: the constants
/// <linux/pkt_cls.h> and <linux/if_ether.h> would give (vmlinux BTF has no
/// macros), and reading frames from a raw socket.
enum NetworkPrograms {
    /// Macros the kernel headers define and a bcc program includes.
    static let headerMacros = """
        #ifndef TC_ACT_OK
        #define TC_ACT_OK 0
        #define TC_ACT_SHOT 2
        #endif
        #ifndef ETH_HLEN
        #define ETH_HLEN 14
        #endif
        #ifndef bpf_htons
        #define bpf_htons(x) __builtin_bswap16(x)
        #endif

        """

    /// Counts IPv4 packets per IP protocol and drops ICMP (bcc's xdp_drop_count, by protocol).
    static let xdpCountAndDrop = headerMacros + """
        BPF_ARRAY(packets, u64, 256);

        int count_and_drop(struct xdp_md *ctx) {
            void *data = (void *)(long)ctx->data;
            void *data_end = (void *)(long)ctx->data_end;
            struct ethhdr *eth = data;
            if ((void *)(eth + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
                return XDP_PASS;
            struct iphdr *ip = (void *)(eth + 1);
            if ((void *)(ip + 1) > data_end)
                return XDP_PASS;
            int protocol = ip->protocol;
            packets.increment(protocol);
            return protocol == IPPROTO_ICMP ? XDP_DROP : XDP_PASS;
        }
        """

    /// Passes only TCP segments whose payload starts like an HTTP request or
    /// response (bcc's examples/networking/http_filter).
    static let httpFilter = headerMacros + """
        static int starts_with(char *text, const char *prefix, int length) {
            for (int i = 0; i < length; i++)
                if (text[i] != prefix[i]) return 0;
            return 1;
        }

        int http_filter(struct __sk_buff *skb) {
            u8 version_ihl, protocol, data_offset;
            if (bpf_skb_load_bytes(skb, ETH_HLEN, &version_ihl, 1) < 0) return 0;
            if (bpf_skb_load_bytes(skb, ETH_HLEN + 9, &protocol, 1) < 0 || protocol != IPPROTO_TCP) return 0;
            u32 ip_header_length = (version_ihl & 0x0F) * 4;
            if (bpf_skb_load_bytes(skb, ETH_HLEN + ip_header_length + 12, &data_offset, 1) < 0) return 0;
            u32 payload = ETH_HLEN + ip_header_length + (data_offset >> 4) * 4;
            char start[8] = {};
            if (bpf_skb_load_bytes(skb, payload, start, 7) < 0) return 0;
            if (starts_with(start, "GET ", 4) || starts_with(start, "POST ", 5) || starts_with(start, "PUT ", 4)
                || starts_with(start, "DELETE ", 7) || starts_with(start, "HEAD ", 5) || starts_with(start, "HTTP", 4))
                return -1;
            return 0;
        }
        """

    /// Frames waiting on raw socket `fd`, read until `done` holds or `timeout` passes.
    static func frames(from fd: Int32, timeout: TimeInterval = 3, until done: ([[UInt8]]) -> Bool) -> [[UInt8]] {
        var frames: [[UInt8]] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let count = recv(fd, &buffer, buffer.count, Int32(MSG_DONTWAIT))
            if count > 0 {
                frames.append(Array(buffer[..<count]))
                continue
            }
            if done(frames) { break }
            usleep(10_000)
        }
        return frames
    }
}

extension Array where Element == UInt8 {
    /// True when `needle`'s UTF-8 bytes occur in these bytes.
    func contains(text needle: String) -> Bool {
        let pattern = Array(needle.utf8)
        guard !pattern.isEmpty, count >= pattern.count else { return false }
        return (0...(count - pattern.count)).contains { self[$0..<($0 + pattern.count)].elementsEqual(pattern) }
    }
}
