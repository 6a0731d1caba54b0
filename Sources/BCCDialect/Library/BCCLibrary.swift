// bcc's own C library (its helpers.h and proto.h), as the prelude and the
// include replacement give it: packet access for socket filters and tc
// programs, checksum updates, tracepoint __data_loc strings, LSM probes.

/// bcc's C library.
package enum BCCLibrary {
    /// What replaces an `#include <...>` line: bcc's proto.h becomes its
    /// packet header structs, on one line so the program's lines keep their
    /// numbers; kernel headers and bcc's helpers.h become nothing (the BTF
    /// header and the prelude have what they define).
    static func replacement(forInclude directive: String) -> String {
        guard includedPath(directive) == "bcc/proto.h" else { return "" }
        // BPF_PACKET_HEADER marks a program's own header struct (bcc: packed, and "packet" to its rewriter).
        return "#define BPF_PACKET_HEADER __attribute__((packed))\n"
            + PacketHeader.all.keys.sorted().compactMap { PacketHeader.all[$0]?.cDefinition }.joined(separator: " ")
    }

    /// `#include <a/b.h>` -> "a/b.h".
    static func includedPath(_ directive: String) -> String? {
        guard let open = directive.firstIndex(of: "<"), let close = directive[open...].firstIndex(of: ">") else { return nil }
        return String(directive[directive.index(after: open)..<close]).trimming(" \t")
    }

    /// helpers.h's macros and inline functions, after the helper declarations:
    /// each piece with the kernel helpers it calls (a kernel without them gets
    /// no such piece, as it gets no declaration of the helper).
    static let helpers: [(requires: [String], text: String)] = [
        ([], """
        #define cursor_advance(_cursor, _len) ({ void *__bcc_at = (_cursor); (_cursor) += (_len); __bcc_at; })
        unsigned long long load_byte(void *skb, unsigned long long off) asm("llvm.bpf.load.byte");
        unsigned long long load_half(void *skb, unsigned long long off) asm("llvm.bpf.load.half");
        unsigned long long load_word(void *skb, unsigned long long off) asm("llvm.bpf.load.word");
        static __always_inline u64 load_dword(void *skb, u64 off) {
            return (load_word(skb, off) << 32) | load_word(skb, off + 4);
        }
        #define __bcc_low_bits(n) ((n) < 64 ? (1ULL << (n)) - 1 : ~0ULL)
        /* The bsz bits at bit bofs (counted from the most significant bit, in network order) of the packet at byte off. */
        static __always_inline u64 bpf_dext_pkt(void *pkt, u64 off, u64 bofs, u64 bsz) {
            if (bofs + bsz <= 8) return (load_byte(pkt, off) >> (8 - bofs - bsz)) & __bcc_low_bits(bsz);
            if (bofs + bsz <= 16) return (load_half(pkt, off) >> (16 - bofs - bsz)) & __bcc_low_bits(bsz);
            if (bofs + bsz <= 32) return (load_word(pkt, off) >> (32 - bofs - bsz)) & __bcc_low_bits(bsz);
            if (bofs + bsz <= 64) return (load_dword(pkt, off) >> (64 - bofs - bsz)) & __bcc_low_bits(bsz);
            return 0;
        }
        """),
        (["skb_store_bytes"], """
        /* Stores val in those bits, written back in network order. */
        static __always_inline void bpf_dins_pkt(void *pkt, u64 off, u64 bofs, u64 bsz, u64 val) {
            if (bofs + bsz <= 8) {
                u8 v = bsz == 8 ? val : ((load_byte(pkt, off) & ~(__bcc_low_bits(bsz) << (8 - bofs - bsz))) | ((val & __bcc_low_bits(bsz)) << (8 - bofs - bsz)));
                bpf_skb_store_bytes(pkt, off, &v, 1, 0);
            } else if (bofs + bsz <= 16) {
                u16 v = bsz == 16 ? val : ((load_half(pkt, off) & ~(__bcc_low_bits(bsz) << (16 - bofs - bsz))) | ((val & __bcc_low_bits(bsz)) << (16 - bofs - bsz)));
                v = __bcc_be16(v);
                bpf_skb_store_bytes(pkt, off, &v, 2, 0);
            } else if (bofs + bsz <= 32) {
                u32 v = bsz == 32 ? val : ((load_word(pkt, off) & ~(__bcc_low_bits(bsz) << (32 - bofs - bsz))) | ((val & __bcc_low_bits(bsz)) << (32 - bofs - bsz)));
                v = __bcc_be32(v);
                bpf_skb_store_bytes(pkt, off, &v, 4, 0);
            } else if (bofs + bsz <= 64) {
                u64 v = bsz == 64 ? val : ((load_dword(pkt, off) & ~(__bcc_low_bits(bsz) << (64 - bofs - bsz))) | ((val & __bcc_low_bits(bsz)) << (64 - bofs - bsz)));
                v = __bcc_be64(v);
                bpf_skb_store_bytes(pkt, off, &v, 8, 0);
            }
        }
        """),
        (["l3_csum_replace"], """
        /* incr_cksum_l3/l4 take host-order values; the kernel's csum helpers want them as the packet has them. */
        static __always_inline long __bcc_l3_csum_replace(void *ctx, u64 off, u64 from, u64 to, u64 flags) {
            switch (flags & 0xf) {
            case 2: return bpf_l3_csum_replace(ctx, off, __bcc_be16(from), __bcc_be16(to), flags);
            case 4: return bpf_l3_csum_replace(ctx, off, __bcc_be32(from), __bcc_be32(to), flags);
            default: return bpf_l3_csum_replace(ctx, off, from, to, flags);
            }
        }
        """),
        (["l4_csum_replace"], """
        static __always_inline long __bcc_l4_csum_replace(void *ctx, u64 off, u64 from, u64 to, u64 flags) {
            switch (flags & 0xf) {
            case 2: return bpf_l4_csum_replace(ctx, off, __bcc_be16(from), __bcc_be16(to), flags);
            case 4: return bpf_l4_csum_replace(ctx, off, __bcc_be32(from), __bcc_be32(to), flags);
            default: return bpf_l4_csum_replace(ctx, off, from, to, flags);
            }
        }
        """),
        ([], """
        #define TP_DATA_LOC_READ_CONST(dst, field, length) do { \\
            unsigned short __bcc_offset = args->data_loc_##field & 0xFFFF; \\
            bpf_probe_read_kernel((void *)(dst), (length), (char *)args + __bcc_offset); } while (0)
        #define TP_DATA_LOC_READ(dst, field) do { \\
            unsigned short __bcc_offset = args->data_loc_##field & 0xFFFF; \\
            unsigned short __bcc_length = args->data_loc_##field >> 16; \\
            bpf_probe_read_kernel((void *)(dst), __bcc_length, (char *)args + __bcc_offset); } while (0)
        #define TP_DATA_LOC_READ_STR(dst, field, length) do { \\
            unsigned short __bcc_offset = args->data_loc_##field & 0xFFFF; \\
            bpf_probe_read_kernel_str((void *)(dst), (length), (char *)args + __bcc_offset); } while (0)
        """),
    ]

    /// The pieces of `helpers` a kernel with `availableHelpers` can have.
    static func helpersText(availableHelpers: Set<String>) -> String {
        helpers.filter { $0.requires.allSatisfy(availableHelpers.contains) }.map(\.text).joined(separator: "\n")
    }
}
