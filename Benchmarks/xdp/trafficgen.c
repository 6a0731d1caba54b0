// A traffic generator for kernels without pktgen: minimum-size UDP/IPv4
// frames sent into DEVICE for SECONDS, as fast as the sending CPU allows.
//   trafficgen DEVICE DEST_MAC SECONDS [xdp|socket]
// xdp (the default where the kernel has it, Linux 5.18+): BPF_PROG_TEST_RUN
// with live frames runs a two-instruction XDP program that returns XDP_TX
// on DEVICE's ingress, so the kernel transmits each frame out of DEVICE
// itself, in batches, without a system call per packet (the method of the
// kernel's xdp-trafficgen). socket: sendmmsg(2) on an AF_PACKET socket that
// bypasses the qdisc. Prints "sent=N seconds=T" when done.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/bpf.h>
#include <sys/syscall.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64
#define FRAME 60

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

/// The frame to send: Ethernet to `mac`, IPv4 10.255.0.1 -> 10.255.0.2
/// (checksum left 0: the receiving XDP program drops it first), UDP port 9.
static void build_frame(unsigned char *frame, const unsigned char *mac) {
    memset(frame, 0, FRAME);
    memcpy(frame, mac, 6);
    frame[6] = 0x02;
    frame[12] = 0x08;
    unsigned char *ip = frame + 14;
    ip[0] = 0x45; ip[3] = FRAME - 14; ip[8] = 64; ip[9] = 17;
    ip[12] = 10; ip[13] = 255; ip[15] = 1; ip[16] = 10; ip[17] = 255; ip[19] = 2;
    unsigned char *udp = ip + 20;
    udp[1] = 9; udp[3] = 9; udp[5] = FRAME - 14 - 20;
}

/// Live XDP frames: returns the frames sent, or -1 when the kernel cannot.
static long long send_xdp_live(unsigned int ifindex, const unsigned char *frame, double seconds) {
    struct bpf_insn program[] = {
        { .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = XDP_TX },
        { .code = BPF_JMP | BPF_EXIT },
    };
    union bpf_attr load = {0};
    load.prog_type = BPF_PROG_TYPE_XDP;
    load.insns = (unsigned long)program;
    load.insn_cnt = 2;
    load.license = (unsigned long)"GPL";
    int fd = (int)syscall(__NR_bpf, BPF_PROG_LOAD, &load, sizeof(load));
    if (fd < 0) return -1;
    // The kernel wants data_end to be the frame's length.
    struct xdp_md context = { .data_end = FRAME, .ingress_ifindex = ifindex };
    const unsigned int repeat = 1 << 16;
    long long sent = 0;
    double end = now() + seconds;
    while (now() < end) {
        union bpf_attr run = {0};
        run.test.prog_fd = fd;
        run.test.data_in = (unsigned long)frame;
        run.test.data_size_in = FRAME;
        run.test.ctx_in = (unsigned long)&context;
        run.test.ctx_size_in = sizeof(context);
        run.test.repeat = repeat;
        run.test.flags = BPF_F_TEST_XDP_LIVE_FRAMES;
        if (syscall(__NR_bpf, BPF_PROG_TEST_RUN, &run, sizeof(run)) < 0) {
            if (errno == EINTR) continue;
            if (sent == 0) { close(fd); return -1; }
            break;
        }
        sent += repeat;
    }
    close(fd);
    return sent;
}

int main(int argc, char **argv) {
    if (argc != 4 && argc != 5) {
        fprintf(stderr, "usage: trafficgen DEVICE DEST_MAC SECONDS [xdp|socket]\n");
        return 2;
    }
    unsigned int ifindex = if_nametoindex(argv[1]);
    unsigned char mac[6];
    if (!ifindex || sscanf(argv[2], "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &mac[0], &mac[1], &mac[2], &mac[3], &mac[4], &mac[5]) != 6) {
        fprintf(stderr, "trafficgen: bad device or MAC address\n");
        return 2;
    }
    double seconds = atof(argv[3]);
    unsigned char frame[FRAME];
    build_frame(frame, mac);
    if (argc < 5 || strcmp(argv[4], "xdp") == 0) {
        double start = now();
        long long sent = send_xdp_live(ifindex, frame, seconds);
        if (sent >= 0) {
            printf("sent=%lld seconds=%f method=xdp\n", sent, now() - start);
            return 0;
        }
        if (argc == 5) {
            perror("trafficgen: live XDP frames (BPF_PROG_TEST_RUN)");
            return 1;
        }
    }
    int fd = socket(AF_PACKET, SOCK_RAW, 0);
    int one = 1;
    if (fd < 0 || setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one)) < 0) {
        perror("trafficgen: socket");
        return 1;
    }
    struct sockaddr_ll address = { .sll_family = AF_PACKET, .sll_ifindex = (int)ifindex, .sll_halen = 6 };
    memcpy(address.sll_addr, mac, 6);
    if (bind(fd, (struct sockaddr *)&address, sizeof(address)) < 0) {
        perror("trafficgen: bind");
        return 1;
    }
    struct iovec iov[BATCH];
    struct mmsghdr messages[BATCH];
    for (int i = 0; i < BATCH; i++) {
        iov[i] = (struct iovec){ .iov_base = frame, .iov_len = FRAME };
        messages[i] = (struct mmsghdr){ .msg_hdr = { .msg_name = &address, .msg_namelen = sizeof(address), .msg_iov = &iov[i], .msg_iovlen = 1 } };
    }
    unsigned long long sent = 0;
    double start = now(), end = start + seconds;
    while (now() < end) {
        int count = sendmmsg(fd, messages, BATCH, 0);
        if (count > 0) sent += count;
    }
    printf("sent=%llu seconds=%f method=socket\n", sent, now() - start);
    return 0;
}
