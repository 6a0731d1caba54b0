// libbpf's ring buffer consumer for the benchmark: opens the benchmark's ring
// and producer program by id, and counts records with ring_buffer__poll.
//
//   libbpf_consumer b2b|parallel RING_MAP_ID PRODUCER_PROG_ID SECONDS
//
// b2b: trigger one batch (BPF_PROG_TEST_RUN), then ring_buffer__poll(-1), repeat.
// parallel: a producer thread triggers batches flat out while the main thread polls.
// Prints "records N seconds S".
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static long records;
static int program_fd;
static atomic_int stop;

static int count_record(void *context, void *data, size_t size) {
    (void)context; (void)data; (void)size;
    records++;
    return 0;
}

static double now(void) {
    struct timespec time;
    clock_gettime(CLOCK_MONOTONIC, &time);
    return time.tv_sec + time.tv_nsec / 1e9;
}

static void trigger(void) {
    char packet[64] = {0}, out[320];
    LIBBPF_OPTS(bpf_test_run_opts, options, .data_in = packet, .data_size_in = sizeof(packet),
                .data_out = out, .data_size_out = sizeof(out), .repeat = 1);
    if (bpf_prog_test_run_opts(program_fd, &options) != 0) {
        perror("BPF_PROG_TEST_RUN");
        exit(1);
    }
}

static void *produce(void *argument) {
    (void)argument;
    while (!atomic_load_explicit(&stop, memory_order_relaxed)) trigger();
    return NULL;
}

int main(int argc, char **argv) {
    if (argc != 5) {
        fprintf(stderr, "usage: %s b2b|parallel RING_MAP_ID PRODUCER_PROG_ID SECONDS\n", argv[0]);
        return 64;
    }
    int back_to_back = strcmp(argv[1], "b2b") == 0;
    int ring_fd = bpf_map_get_fd_by_id((unsigned)atoi(argv[2]));
    program_fd = bpf_prog_get_fd_by_id((unsigned)atoi(argv[3]));
    double seconds = atof(argv[4]);
    if (ring_fd < 0 || program_fd < 0) {
        perror("open map or program by id");
        return 1;
    }
    struct ring_buffer *ring = ring_buffer__new(ring_fd, count_record, NULL, NULL);
    if (!ring) {
        perror("ring_buffer__new");
        return 1;
    }
    double start = now();
    if (back_to_back) {
        while (now() - start < seconds) {
            trigger();
            if (ring_buffer__poll(ring, -1) < 0) { perror("ring_buffer__poll"); return 1; }
        }
    } else {
        pthread_t producer;
        pthread_create(&producer, NULL, produce, NULL);
        while (now() - start < seconds) {
            if (ring_buffer__poll(ring, 100) < 0) { perror("ring_buffer__poll"); return 1; }
        }
        atomic_store(&stop, 1);
        pthread_join(producer, NULL);
        ring_buffer__consume(ring);
    }
    double elapsed = now() - start;
    printf("records %ld seconds %.6f\n", records, elapsed);
    ring_buffer__free(ring);
    return 0;
}
