// libbpf's ring buffer consumer for the benchmark: opens the benchmark's ring
// and producer program by id, and counts records with ring_buffer__poll.
//
//   libbpf_consumer b2b|parallel RING_MAP_ID PRODUCER_PROG_ID SECONDS [BATCHES]
//
// b2b: trigger one batch (BPF_PROG_TEST_RUN), then ring_buffer__poll(-1), repeat
// (BATCHES times when given, for a run under callgrind, else for SECONDS).
// parallel: a producer thread triggers batches flat out while the main thread polls.
// Prints "records N seconds S cpu C maxrss K": C is the consuming thread's
// user + system CPU seconds, K the program's peak RSS in KiB (VmHWM).
#define _GNU_SOURCE
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static long records;
static int program_fd;
static atomic_int stop;

static int count_record(void *context, void *data, size_t size) {
    (void)context; (void)data; (void)size;
    records++;
    return 0;
}

/* Peak RSS of this program in KiB (VmHWM; ru_maxrss would report the forking parent's). */
static long peak_rss(void) {
    FILE *status = fopen("/proc/self/status", "r");
    char line[256];
    long kib = -1;
    while (status && fgets(line, sizeof(line), status))
        if (sscanf(line, "VmHWM: %ld kB", &kib) == 1) break;
    if (status) fclose(status);
    return kib;
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
    if (argc != 5 && argc != 6) {
        fprintf(stderr, "usage: %s b2b|parallel RING_MAP_ID PRODUCER_PROG_ID SECONDS [BATCHES]\n", argv[0]);
        return 64;
    }
    int back_to_back = strcmp(argv[1], "b2b") == 0;
    int ring_fd = bpf_map_get_fd_by_id((unsigned)atoi(argv[2]));
    program_fd = bpf_prog_get_fd_by_id((unsigned)atoi(argv[3]));
    double seconds = atof(argv[4]);
    long batches = argc == 6 ? atol(argv[5]) : 0;
    if (ring_fd < 0 || program_fd < 0) {
        perror("open map or program by id");
        return 1;
    }
    struct ring_buffer *ring = ring_buffer__new(ring_fd, count_record, NULL, NULL);
    if (!ring) {
        perror("ring_buffer__new");
        return 1;
    }
    struct rusage usage;
    getrusage(RUSAGE_THREAD, &usage);
    double cpu_start = usage.ru_utime.tv_sec + usage.ru_stime.tv_sec + (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
    double start = now();
    if (back_to_back && batches > 0) {
        for (long batch = 0; batch < batches; batch++) {
            trigger();
            if (ring_buffer__poll(ring, -1) < 0) { perror("ring_buffer__poll"); return 1; }
        }
    } else if (back_to_back) {
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
    getrusage(RUSAGE_THREAD, &usage);
    double cpu = usage.ru_utime.tv_sec + usage.ru_stime.tv_sec + (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6 - cpu_start;
    printf("records %ld seconds %.6f cpu %.6f maxrss %ld\n", records, elapsed, cpu, peak_rss());
    ring_buffer__free(ring);
    return 0;
}
