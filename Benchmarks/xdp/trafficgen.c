// A traffic generator for kernels without pktgen: minimum-size UDP/IPv4
// frames sent with sendmmsg(2) on an AF_PACKET socket that bypasses the
// qdisc, as fast as the sending CPU allows, for a given time.
//   trafficgen DEVICE DEST_MAC SECONDS
// Prints "sent=N seconds=T" when done.
#define _GNU_SOURCE
#include <arpa/inet.h>
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

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: trafficgen DEVICE DEST_MAC SECONDS\n");
        return 2;
    }
    unsigned int ifindex = if_nametoindex(argv[1]);
    unsigned char mac[6];
    if (!ifindex || sscanf(argv[2], "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &mac[0], &mac[1], &mac[2], &mac[3], &mac[4], &mac[5]) != 6) {
        fprintf(stderr, "trafficgen: bad device or MAC address\n");
        return 2;
    }
    double seconds = atof(argv[3]);
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
    // Ethernet, IPv4 (10.255.0.1 -> 10.255.0.2, checksum left 0: XDP drops it first), UDP port 9.
    unsigned char frame[FRAME] = {0};
    memcpy(frame, mac, 6);
    frame[6] = 0x02;
    frame[12] = 0x08;
    unsigned char *ip = frame + 14;
    ip[0] = 0x45; ip[3] = FRAME - 14; ip[8] = 64; ip[9] = 17;
    ip[12] = 10; ip[13] = 255; ip[15] = 1; ip[16] = 10; ip[17] = 255; ip[19] = 2;
    unsigned char *udp = ip + 20;
    udp[1] = 9; udp[3] = 9; udp[5] = FRAME - 14 - 20;

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
    printf("sent=%llu seconds=%f\n", sent, now() - start);
    return 0;
}
