// TCP retransmissions by local and peer address, peer port and socket
// state, from the tcp_retransmit_skb tracepoint. IPv4 addresses are kept
// IPv4-mapped (::ffff:a.b.c.d), which the inet_ip decoder prints as a.b.c.d.

struct retransmit_key_t {
    u8 local_ip[16];
    u8 peer_ip[16];
    u16 peer_port;
    u16 state;
};

BPF_HASH(tcp_retransmits_total, struct retransmit_key_t, u64, 8192);

TRACEPOINT_PROBE(tcp, tcp_retransmit_skb)
{
    struct retransmit_key_t key = {};
    if (args->family == 2) {   // AF_INET
        key.local_ip[10] = 0xff;
        key.local_ip[11] = 0xff;
        key.peer_ip[10] = 0xff;
        key.peer_ip[11] = 0xff;
        // The verifier allows only fixed offsets into the tracepoint's
        // record, so the arrays are copied with a read, not a memcpy.
        bpf_probe_read_kernel(&key.local_ip[12], 4, args->saddr);
        bpf_probe_read_kernel(&key.peer_ip[12], 4, args->daddr);
    } else {
        bpf_probe_read_kernel(key.local_ip, 16, args->saddr_v6);
        bpf_probe_read_kernel(key.peer_ip, 16, args->daddr_v6);
    }
    key.peer_port = args->dport;
    key.state = args->state;
    tcp_retransmits_total.atomic_increment(key);
    return 0;
}
