// The kernel's function-like macros and small inline functions that bcc
// programs call, written for BPF (byte order from the compiler's builtins,
// no kernel-only helpers), and the member aliases kernel headers #define
// (sk->sk_dport is sk->__sk_common.skc_dport).

extension KernelVocabulary {
    /// Byte-order building blocks the named macros expand to; always emitted.
    static let byteOrderBasics = """
        #if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        #define __bcc_be16(x) ((__u16)__builtin_bswap16((__u16)(x)))
        #define __bcc_be32(x) ((__u32)__builtin_bswap32((__u32)(x)))
        #define __bcc_be64(x) ((__u64)__builtin_bswap64((__u64)(x)))
        #define __bcc_le16(x) ((__u16)(x))
        #define __bcc_le32(x) ((__u32)(x))
        #define __bcc_le64(x) ((__u64)(x))
        #else
        #define __bcc_be16(x) ((__u16)(x))
        #define __bcc_be32(x) ((__u32)(x))
        #define __bcc_be64(x) ((__u64)(x))
        #define __bcc_le16(x) ((__u16)__builtin_bswap16((__u16)(x)))
        #define __bcc_le32(x) ((__u32)__builtin_bswap32((__u32)(x)))
        #define __bcc_le64(x) ((__u64)__builtin_bswap64((__u64)(x)))
        #endif
        """

    /// One C definition each (a #define or an inline function); the name is
    /// what a program that defines it itself makes us leave out.
    static let functionEntries: [String] = [
        // linux/byteorder/generic.h, uapi/linux/swab.h, bcc's and libbpf's endian helpers
        "#define ntohs(x) __bcc_be16(x)", "#define htons(x) __bcc_be16(x)",
        "#define ntohl(x) __bcc_be32(x)", "#define htonl(x) __bcc_be32(x)",
        "#define be16_to_cpu(x) __bcc_be16(x)", "#define be32_to_cpu(x) __bcc_be32(x)", "#define be64_to_cpu(x) __bcc_be64(x)",
        "#define cpu_to_be16(x) __bcc_be16(x)", "#define cpu_to_be32(x) __bcc_be32(x)", "#define cpu_to_be64(x) __bcc_be64(x)",
        "#define le16_to_cpu(x) __bcc_le16(x)", "#define le32_to_cpu(x) __bcc_le32(x)", "#define le64_to_cpu(x) __bcc_le64(x)",
        "#define cpu_to_le16(x) __bcc_le16(x)", "#define cpu_to_le32(x) __bcc_le32(x)", "#define cpu_to_le64(x) __bcc_le64(x)",
        "#define __be16_to_cpu(x) __bcc_be16(x)", "#define __be32_to_cpu(x) __bcc_be32(x)", "#define __be64_to_cpu(x) __bcc_be64(x)",
        "#define __cpu_to_be16(x) __bcc_be16(x)", "#define __cpu_to_be32(x) __bcc_be32(x)", "#define __cpu_to_be64(x) __bcc_be64(x)",
        "#define swab16(x) ((__u16)__builtin_bswap16((__u16)(x)))", "#define swab32(x) ((__u32)__builtin_bswap32((__u32)(x)))",
        "#define swab64(x) ((__u64)__builtin_bswap64((__u64)(x)))",
        "#define bpf_ntohs(x) __bcc_be16(x)", "#define bpf_htons(x) __bcc_be16(x)",
        "#define bpf_ntohl(x) __bcc_be32(x)", "#define bpf_htonl(x) __bcc_be32(x)",
        "#define bpf_ntohll(x) __bcc_be64(x)", "#define bpf_htonll(x) __bcc_be64(x)",
        "#define bpf_be64_to_cpu(x) __bcc_be64(x)", "#define bpf_cpu_to_be64(x) __bcc_be64(x)",
        // linux/minmax.h, linux/math.h, linux/math64.h, linux/kernel.h
        "#define min(x, y) ({ typeof(x) __bcc_a = (x); typeof(y) __bcc_b = (y); __bcc_a < __bcc_b ? __bcc_a : __bcc_b; })",
        "#define max(x, y) ({ typeof(x) __bcc_a = (x); typeof(y) __bcc_b = (y); __bcc_a > __bcc_b ? __bcc_a : __bcc_b; })",
        "#define min_t(type, x, y) ({ type __bcc_a = (x); type __bcc_b = (y); __bcc_a < __bcc_b ? __bcc_a : __bcc_b; })",
        "#define max_t(type, x, y) ({ type __bcc_a = (x); type __bcc_b = (y); __bcc_a > __bcc_b ? __bcc_a : __bcc_b; })",
        "#define umin(x, y) min_t(unsigned long long, x, y)", "#define umax(x, y) max_t(unsigned long long, x, y)",
        "#define min3(x, y, z) min(min(x, y), z)", "#define max3(x, y, z) max(max(x, y), z)",
        "#define clamp(val, lo, hi) min(max(val, lo), hi)",
        "#define clamp_t(type, val, lo, hi) min_t(type, max_t(type, val, lo), hi)",
        "#define clamp_val(val, lo, hi) clamp_t(typeof(val), val, lo, hi)",
        "#define swap(a, b) do { typeof(a) __bcc_tmp = (a); (a) = (b); (b) = __bcc_tmp; } while (0)",
        "static __always_inline u64 div_u64(u64 dividend, u32 divisor) { return dividend / divisor; }",
        // BPF before v4 has no signed division: divide the magnitudes, truncating toward zero as C does.
        "static __always_inline s64 div64_s64(s64 dividend, s64 divisor) { u64 a = dividend < 0 ? -(u64)dividend : (u64)dividend; "
            + "u64 b = divisor < 0 ? -(u64)divisor : (u64)divisor; return (dividend < 0) != (divisor < 0) ? -(s64)(a / b) : (s64)(a / b); }",
        "static __always_inline s64 div_s64(s64 dividend, s32 divisor) { return div64_s64(dividend, divisor); }",
        "static __always_inline u64 div64_u64(u64 dividend, u64 divisor) { return dividend / divisor; }",
        "static __always_inline u64 div_u64_rem(u64 dividend, u32 divisor, u32 *remainder) { *remainder = dividend % divisor; return dividend / divisor; }",
        "#define do_div(n, base) ({ u32 __bcc_base = (base); u32 __bcc_rem = ((u64)(n)) % __bcc_base; (n) = ((u64)(n)) / __bcc_base; __bcc_rem; })",
        "#define DIV_ROUND_UP(n, d) (((n) + (d) - 1) / (d))",
        "#define DIV_ROUND_UP_ULL(ll, d) DIV_ROUND_UP((unsigned long long)(ll), d)",
        "#define roundup(x, y) ((((x) + ((y) - 1)) / (y)) * (y))",
        "#define rounddown(x, y) ((x) - ((x) % (y)))",
        "#define round_up(x, y) ((((x) - 1) | ((__typeof__(x))((y) - 1))) + 1)",
        "#define round_down(x, y) ((x) & ~((__typeof__(x))((y) - 1)))",
        "#define ALIGN(x, a) (((x) + ((typeof(x))(a) - 1)) & ~((typeof(x))(a) - 1))",
        "#define ALIGN_DOWN(x, a) ALIGN((x) - ((a) - 1), (a))",
        "#define IS_ALIGNED(x, a) (((x) & ((typeof(x))(a) - 1)) == 0)",
        "#define ARRAY_SIZE(arr) (sizeof(arr) / sizeof((arr)[0]))",
        "#define BIT(nr) (1UL << (nr))",
        "#define BIT_ULL(nr) (1ULL << (nr))",
        "#define GENMASK(h, l) (((~0UL) - (1UL << (l)) + 1) & (~0UL >> (BITS_PER_LONG - 1 - (h))))",
        "#define GENMASK_ULL(h, l) (((~0ULL) - (1ULL << (l)) + 1) & (~0ULL >> (64 - 1 - (h))))",
        "#define sizeof_field(TYPE, MEMBER) sizeof((((TYPE *)0)->MEMBER))",
        "#define FIELD_SIZEOF(t, f) sizeof_field(t, f)",
        "#define offsetofend(TYPE, MEMBER) (offsetof(TYPE, MEMBER) + sizeof_field(TYPE, MEMBER))",
        // linux/compiler.h, linux/stddef.h, linux/container_of.h, linux/list.h
        "#define offsetof(type, member) __builtin_offsetof(type, member)",
        "#define container_of(ptr, type, member) ((type *)((char *)(ptr) - offsetof(type, member)))",
        "#define list_entry(ptr, type, member) container_of(ptr, type, member)",
        "#define list_first_entry(ptr, type, member) list_entry((ptr)->next, type, member)",
        "#define hlist_entry(ptr, type, member) container_of(ptr, type, member)",
        "#define rb_entry(ptr, type, member) container_of(ptr, type, member)",
        "#define likely(x) __builtin_expect(!!(x), 1)",
        "#define unlikely(x) __builtin_expect(!!(x), 0)",
        "#define READ_ONCE(x) (*(const volatile typeof(x) *)&(x))",
        "#define WRITE_ONCE(x, val) do { *(volatile typeof(x) *)&(x) = (val); } while (0)",
        "#define barrier() asm volatile(\"\" ::: \"memory\")",
        "#define __stringify_1(x) #x", "#define __stringify(x) __stringify_1(x)",
        // Attribute names in their reserved spelling: `noinline` itself is a macro here.
        "#define __packed __attribute__((__packed__))", "#define __aligned(x) __attribute__((__aligned__(x)))",
        "#define __maybe_unused __attribute__((__unused__))", "#define __always_unused __attribute__((__unused__))",
        "#define noinline __attribute__((__noinline__))", "#define __noinline __attribute__((__noinline__))",
        "#define notrace", "#define __percpu", "#define __iomem", "#define __must_check", "#define __bitwise",
        "#define __read_mostly", "#define fallthrough __attribute__((__fallthrough__))",
        // linux/err.h
        "#define IS_ERR_VALUE(x) unlikely((unsigned long)(void *)(x) >= (unsigned long)-MAX_ERRNO)",
        "#define IS_ERR(ptr) IS_ERR_VALUE((unsigned long)(ptr))",
        "#define IS_ERR_OR_NULL(ptr) (unlikely(!(ptr)) || IS_ERR_VALUE((unsigned long)(ptr)))",
        "#define PTR_ERR(ptr) ((long)(ptr))",
        "#define ERR_PTR(error) ((void *)(long)(error))",
        // linux/pkt_sched.h
        "#define TC_H_MAJ(h) ((h) & TC_H_MAJ_MASK)", "#define TC_H_MIN(h) ((h) & TC_H_MIN_MASK)",
        "#define TC_H_MAKE(maj, min) (((maj) & TC_H_MAJ_MASK) | ((min) & TC_H_MIN_MASK))",
        // linux/kdev_t.h, linux/stat.h
        "#define MAJOR(dev) ((unsigned int)((dev) >> MINORBITS))",
        "#define MINOR(dev) ((unsigned int)((dev) & MINORMASK))",
        "#define MKDEV(ma, mi) (((ma) << MINORBITS) | (mi))",
        "#define S_ISLNK(m) (((m) & S_IFMT) == S_IFLNK)", "#define S_ISREG(m) (((m) & S_IFMT) == S_IFREG)",
        "#define S_ISDIR(m) (((m) & S_IFMT) == S_IFDIR)", "#define S_ISCHR(m) (((m) & S_IFMT) == S_IFCHR)",
        "#define S_ISBLK(m) (((m) & S_IFMT) == S_IFBLK)", "#define S_ISFIFO(m) (((m) & S_IFMT) == S_IFIFO)",
        "#define S_ISSOCK(m) (((m) & S_IFMT) == S_IFSOCK)",
        // net/tcp.h, linux/tcp.h, net/inet_sock.h, linux/skbuff.h, linux/ip.h, linux/ipv6.h, linux/udp.h
        "#define TCP_SKB_CB(__skb) ((struct tcp_skb_cb *)&((__skb)->cb[0]))",
        "#define inet_sk(sk) ((struct inet_sock *)(sk))",
        "#define inet_csk(sk) ((struct inet_connection_sock *)(sk))",
        "#define tcp_sk(sk) ((struct tcp_sock *)(sk))",
        "#define udp_sk(sk) ((struct udp_sock *)(sk))",
        "#define inet_twsk(sk) ((struct inet_timewait_sock *)(sk))",
        "#define inet_rsk(sk) ((struct inet_request_sock *)(sk))",
        "#define tcp_rsk(req) ((struct tcp_request_sock *)(req))",
        "#define skb_network_header(skb) ((skb)->head + (skb)->network_header)",
        "#define skb_transport_header(skb) ((skb)->head + (skb)->transport_header)",
        "#define skb_mac_header(skb) ((skb)->head + (skb)->mac_header)",
        "#define skb_end_pointer(skb) ((skb)->head + (skb)->end)",
        "#define skb_shinfo(skb) ((struct skb_shared_info *)skb_end_pointer(skb))",
        "#define ip_hdr(skb) ((struct iphdr *)skb_network_header(skb))",
        "#define ipv6_hdr(skb) ((struct ipv6hdr *)skb_network_header(skb))",
        "#define tcp_hdr(skb) ((struct tcphdr *)skb_transport_header(skb))",
        "#define udp_hdr(skb) ((struct udphdr *)skb_transport_header(skb))",
        "#define icmp_hdr(skb) ((struct icmphdr *)skb_transport_header(skb))",
        "#define skb_rx_queue_recorded(skb) ((skb)->queue_mapping != 0)",
        "#define skb_get_rx_queue(skb) ((u16)((skb)->queue_mapping - 1))",
        "#define skb_get_queue_mapping(skb) ((skb)->queue_mapping)",
        // linux/scatterlist.h, linux/mm.h, linux/page-flags.h
        "#define SG_CHAIN 0x01UL", "#define SG_END 0x02UL", "#define SG_PAGE_LINK_MASK (SG_CHAIN | SG_END)",
        "#define sg_is_chain(sg) ((sg)->page_link & SG_CHAIN)",
        "#define sg_is_last(sg) ((sg)->page_link & SG_END)",
        "#define sg_chain_ptr(sg) ((struct scatterlist *)((sg)->page_link & ~SG_PAGE_LINK_MASK))",
        "#define folio_page(folio, n) (&(folio)->page + (n))",
        "#define page_folio(p) ((struct folio *)(p))",
    ]

    /// net/sock.h, net/inet_sock.h, net/inet_timewait_sock.h,
    /// net/request_sock.h, linux/in6.h: members reached through a union or
    /// an embedded common struct.
    static let memberAliases: [(name: String, path: String)] = [
        ("sk_node", "__sk_common.skc_node"), ("sk_nulls_node", "__sk_common.skc_nulls_node"),
        ("sk_refcnt", "__sk_common.skc_refcnt"), ("sk_tx_queue_mapping", "__sk_common.skc_tx_queue_mapping"),
        ("sk_rx_queue_mapping", "__sk_common.skc_rx_queue_mapping"),
        ("sk_dontcopy_begin", "__sk_common.skc_dontcopy_begin"), ("sk_dontcopy_end", "__sk_common.skc_dontcopy_end"),
        ("sk_hash", "__sk_common.skc_hash"), ("sk_portpair", "__sk_common.skc_portpair"),
        ("sk_num", "__sk_common.skc_num"), ("sk_dport", "__sk_common.skc_dport"),
        ("sk_addrpair", "__sk_common.skc_addrpair"), ("sk_daddr", "__sk_common.skc_daddr"),
        ("sk_rcv_saddr", "__sk_common.skc_rcv_saddr"), ("sk_family", "__sk_common.skc_family"),
        ("sk_state", "__sk_common.skc_state"), ("sk_reuse", "__sk_common.skc_reuse"),
        ("sk_reuseport", "__sk_common.skc_reuseport"), ("sk_ipv6only", "__sk_common.skc_ipv6only"),
        ("sk_net_refcnt", "__sk_common.skc_net_refcnt"), ("sk_bound_dev_if", "__sk_common.skc_bound_dev_if"),
        ("sk_bind_node", "__sk_common.skc_bind_node"), ("sk_prot", "__sk_common.skc_prot"),
        ("sk_net", "__sk_common.skc_net"), ("sk_v6_daddr", "__sk_common.skc_v6_daddr"),
        ("sk_v6_rcv_saddr", "__sk_common.skc_v6_rcv_saddr"), ("sk_cookie", "__sk_common.skc_cookie"),
        ("sk_incoming_cpu", "__sk_common.skc_incoming_cpu"), ("sk_flags", "__sk_common.skc_flags"),
        ("sk_rxhash", "__sk_common.skc_rxhash"), ("sk_rcv_wnd", "__sk_common.skc_rcv_wnd"),
        ("sk_window_clamp", "__sk_common.skc_window_clamp"),
        ("inet_daddr", "sk.__sk_common.skc_daddr"), ("inet_rcv_saddr", "sk.__sk_common.skc_rcv_saddr"),
        ("inet_dport", "sk.__sk_common.skc_dport"), ("inet_num", "sk.__sk_common.skc_num"),
        ("tw_family", "__tw_common.skc_family"), ("tw_state", "__tw_common.skc_state"),
        ("tw_reuse", "__tw_common.skc_reuse"), ("tw_reuseport", "__tw_common.skc_reuseport"),
        ("tw_ipv6only", "__tw_common.skc_ipv6only"), ("tw_bound_dev_if", "__tw_common.skc_bound_dev_if"),
        ("tw_node", "__tw_common.skc_nulls_node"), ("tw_bind_node", "__tw_common.skc_bind_node"),
        ("tw_refcnt", "__tw_common.skc_refcnt"), ("tw_hash", "__tw_common.skc_hash"),
        ("tw_prot", "__tw_common.skc_prot"), ("tw_net", "__tw_common.skc_net"),
        ("tw_daddr", "__tw_common.skc_daddr"), ("tw_v6_daddr", "__tw_common.skc_v6_daddr"),
        ("tw_rcv_saddr", "__tw_common.skc_rcv_saddr"), ("tw_v6_rcv_saddr", "__tw_common.skc_v6_rcv_saddr"),
        ("tw_dport", "__tw_common.skc_dport"), ("tw_num", "__tw_common.skc_num"),
        ("tw_cookie", "__tw_common.skc_cookie"),
        ("rsk_refcnt", "__req_common.skc_refcnt"), ("rsk_hash", "__req_common.skc_hash"),
        ("rsk_listener", "__req_common.skc_listener"), ("rsk_window_clamp", "__req_common.skc_window_clamp"),
        ("rsk_rcv_wnd", "__req_common.skc_rcv_wnd"),
        ("ir_loc_addr", "req.__req_common.skc_rcv_saddr"), ("ir_rmt_addr", "req.__req_common.skc_daddr"),
        ("ir_num", "req.__req_common.skc_num"), ("ir_rmt_port", "req.__req_common.skc_dport"),
        ("ir_net", "req.__req_common.skc_net"), ("ir_v6_rmt_addr", "req.__req_common.skc_v6_daddr"),
        ("ir_v6_loc_addr", "req.__req_common.skc_v6_rcv_saddr"), ("ir_iif", "req.__req_common.skc_bound_dev_if"),
        ("ir_cookie", "req.__req_common.skc_cookie"),
        ("s6_addr", "in6_u.u6_addr8"), ("s6_addr16", "in6_u.u6_addr16"), ("s6_addr32", "in6_u.u6_addr32"),
    ]
}
