import BPFObject
import Testing
@testable import BCC

/// The network part of the dialect, rewritten without a kernel: tables,
/// methods and the sections network contexts give.
@Suite struct NetworkDialectTests {
    func rewrite(_ source: String) throws -> RewriteResult {
        try DialectRewriter(fileName: "net.c", pageSize: 4096, possibleCPUs: 2).rewrite(source)
    }

    @Test func networkTablesBecomeTheirMapTypes() throws {
        let result = try rewrite("""
            struct key_v4 { u32 prefixlen; u32 address; };
            BPF_LPM_TRIE(trie, struct key_v4, u32, 128);
            BPF_DEVMAP(devices, 4);
            BPF_CPUMAP(cpus, 2);
            BPF_XSKMAP(xsks, 8);
            BPF_SOCKMAP(sockets, 16);
            BPF_SOCKHASH(hashed, struct key_v4, 32);
            BPF_HASH(inner, u32, u64, 8);
            BPF_ARRAY_OF_MAPS(outer_array, "inner", 4);
            BPF_HASH_OF_MAPS(outer_hash, u64, "inner", 4);
            BPF_TABLE("lpm_trie", u64, u64, plain_trie, 16);
            """)
        #expect(result.tables.map(\.mapType) == [.lpmTrie, .devMap, .cpuMap, .xskMap, .sockMap, .sockHash, .hash,
                                                 .arrayOfMaps, .hashOfMaps, .lpmTrie])
        let body = result.body.text
        #expect(body.contains("__type(key, struct key_v4); __type(value, u32); __uint(max_entries, 128); __uint(map_flags, BPF_F_NO_PREALLOC);"))
        #expect(body.contains("__type(key, int); __uint(max_entries, 4); __array(values, typeof(inner)); } outer_array"))
        #expect(body.contains("__type(key, u64); __uint(max_entries, 4); __array(values, typeof(inner)); } outer_hash"))
        #expect(result.tables.first { $0.name == "hashed" }?.keyType == "struct key_v4")
        #expect(result.tables.first { $0.name == "outer_hash" }?.innerTable == "inner")
    }

    @Test func networkMethodsBecomeHelperCalls() throws {
        let body = try rewrite("""
            BPF_DEVMAP(devices, 4);
            BPF_SOCKHASH(socks, u32, 8);
            BPF_SOCKMAP(sockmap, 8);
            BPF_PERF_OUTPUT(events);
            BPF_HASH(inner, u32, u64, 8);
            BPF_ARRAY_OF_MAPS(outer, "inner", 4);
            struct meta { u32 length; };
            int xdp(struct xdp_md *ctx) { return devices.redirect_map(1, 0); }
            int ops(struct bpf_sock_ops *skops) {
                u32 key = 1;
                socks.sock_hash_update(skops, &key, BPF_ANY);
                return sockmap.sock_map_update(skops, &key, BPF_NOEXIST);
            }
            int msg(struct sk_msg_md *msg) { u32 key = 0; return socks.msg_redirect_hash(msg, &key, BPF_F_INGRESS); }
            int skb(struct __sk_buff *skb) {
                u32 key = 0;
                struct meta m = { .length = skb->len };
                events.perf_submit_skb(skb, skb->len, &m, sizeof(m));
                void *map = outer.lookup(&key);
                return socks.sk_redirect_hash(skb, &key, 0) + sockmap.sk_redirect_map(skb, 2, 0) + (map != 0);
            }
            """).body.text
        #expect(body.contains("bpf_redirect_map((void *)&devices, 1, 0)"))
        #expect(body.contains("bpf_sock_hash_update(skops, (void *)&socks, &key, BPF_ANY)"))
        #expect(body.contains("bpf_sock_map_update(skops, (void *)&sockmap, &key, BPF_NOEXIST)"))
        #expect(body.contains("bpf_msg_redirect_hash(msg, (void *)&socks, &key, BPF_F_INGRESS)"))
        #expect(body.contains("bpf_perf_event_output(skb, (void *)&events, ((u64)(skb->len) << 32) | BPF_F_CURRENT_CPU, &m, sizeof(m))"))
        #expect(body.contains("((void *)bpf_map_lookup_elem((void *)&outer, &key))"))
        #expect(body.contains("bpf_sk_redirect_hash(skb, (void *)&socks, &key, 0)"))
        #expect(body.contains("bpf_sk_redirect_map(skb, (void *)&sockmap, 2, 0)"))
    }

    @Test func contextsPickSectionsAndSkbWaitsForTheAttach() throws {
        let result = try rewrite("""
            int a(struct xdp_md *ctx) { return 2; }
            int b(struct __sk_buff *skb) { return 0; }
            int c(struct sk_msg_md *msg) { return 1; }
            int d(struct sk_reuseport_md *reuse) { return 1; }
            int e(struct bpf_sock_ops *skops) { return 0; }
            int f(struct pt_regs *ctx) { return 0; }
            """)
        #expect(result.functions.map(\.section) == ["xdp", "socket", "sk_msg", "sk_reuseport", "sockops", "kprobe"])
        #expect(result.functions.map(\.loadsOnAttach) == [false, true, false, false, false, false])
        for function in result.functions {
            #expect(ProgramSection(sectionName: function.section) != nil, "\(function.section) parses")
        }
    }

    @Test func misusedNetworkTablesAreErrorsOnTheUsersLine() throws {
        let cases: [(String, String)] = [
            ("BPF_HASH(h, u32, u32);\nint f(struct xdp_md *ctx) { return h.redirect_map(0, 0); }",
             "net.c:2:38: error: redirect_map needs a BPF_DEVMAP or BPF_CPUMAP or BPF_XSKMAP table; 'h' is not one"),
            ("BPF_DEVMAP(d, 4);\nint f(struct xdp_md *ctx) { return d.redirect_map(0); }",
             "net.c:2:38: error: d.redirect_map takes 2 arguments, got 1"),
            ("BPF_ARRAY_OF_MAPS(outer, \"missing\", 4);",
             "net.c:1:1: error: BPF_ARRAY_OF_MAPS 'outer': inner table 'missing' is not declared before it"),
            ("BPF_TABLE(\"array_of_maps\", int, int, outer, 4);",
             "net.c:1:1: error: table 'outer' holds maps: declare it with BPF_ARRAY_OF_MAPS or BPF_HASH_OF_MAPS, which name the inner table"),
            ("BPF_XSKMAP(x, 4, \"/sys/fs/bpf/x\");",
             "net.c:1:1: error: BPF_XSKMAP's pin path is not supported; declare BPF_XSKMAP(name, max_entries)"),
        ]
        for (source, message) in cases {
            let error = #expect(throws: DialectError.self) { try rewrite(source) }
            #expect(error?.description.contains(message) == true, "\(String(describing: error))")
        }
    }
}
