/* Event structs for the event decoder tests: every kind of field a BPF
 * program sends through a ring buffer. The globals only force the types
 * into the object's BTF; no program is loaded. */
#include <bpf_fixture.h>

typedef int pid_t;
typedef unsigned int uint32_t;
typedef _Bool bool;
typedef __u32 u32;
typedef __u64 u64;

#define TASK_COMM_LEN 16

/* The reference guide's example. */
struct data_t {
    u32 pid;
    u64 ts;
    char comm[TASK_COMM_LEN];
};

enum state { STATE_IDLE = 0, STATE_RUNNING = 3, STATE_DEAD = -1 };

struct point {
    __s16 x;
    __s16 y;
};

union number {
    __u32 as_u32;
    float as_float;
    unsigned char bytes[4];
};

struct mixed {
    pid_t pid;
    __u32 uid;
    uint32_t count;
    bool flag;
    __s8 small;
    enum state state;
    struct point origin;
    union number value;
    __u16 ports[3];
    struct point path[2];
    char comm[8];
    unsigned char raw[4];
    double ratio;
    void *address;
    unsigned int low : 3;
    int delta : 5;
    unsigned int high : 24;
    __s64 big;
    union {
        __u64 whole;
        __u32 halves[2];
    };
};

/* A typedef'd anonymous struct, as bcc programs often declare events. */
typedef struct {
    __u8 kind;
    __u64 stamp;
} tagged_t;

/* A trailing flexible array: decoded from the bytes the record has. */
struct sample {
    __u32 length;
    __u32 values[];
};

/* Members named as Swift keywords. */
struct swift_words {
    __u32 in;
    __u32 self;
    __u32 Type;
    __u64 where;
    char protocol[4];
};

/* Too many values to decode, too large for a Swift tuple. */
struct oversized {
    __u8 bytes[1 << 21];
};
struct oversized *oversized_anchor __attribute__((unused));

struct data_t *__bcc_event__events __attribute__((unused));
struct mixed *__bcc_event__mixed __attribute__((unused));
tagged_t *__bcc_event__tagged __attribute__((unused));
struct sample *__bcc_event__samples __attribute__((unused));
struct swift_words *__bcc_event__words __attribute__((unused));

char LICENSE[] SEC("license") = "GPL";
