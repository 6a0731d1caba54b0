// The XDP program both loaders run: count every frame per CPU, parse the
// Ethernet and IPv4 headers as a drop counter would, and drop the frame.
// Kernel includes are for bcc; swift-bcc takes the types from the kernel's BTF.
#include <uapi/linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>

BPF_PERCPU_ARRAY(packets, u64, 256);

int xdp_count(struct xdp_md *ctx) {
    void *data = (void *)(long)ctx->data;
    void *data_end = (void *)(long)ctx->data_end;
    struct ethhdr *eth = data;
    int index = 0;
    if ((void *)(eth + 1) <= data_end && eth->h_proto == __builtin_bswap16(ETH_P_IP)) {
        struct iphdr *ip = (void *)(eth + 1);
        if ((void *)(ip + 1) <= data_end)
            index = ip->protocol;
    }
    u64 *count = packets.lookup(&index);
    if (count)
        *count += 1;
    return XDP_DROP;
}
