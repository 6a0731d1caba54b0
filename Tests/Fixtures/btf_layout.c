/* Types whose BTF the BTF tests decode: bitfields, nested anonymous types,
 * arrays, enums of several sizes, packed and aligned structs, function
 * pointers and self-reference. Every type is reachable from a global so
 * clang describes it in .BTF. */

typedef unsigned int u32;
typedef unsigned long long u64;

enum color { RED, GREEN = 5, BLUE = -1 };
enum small_enum { SMALL_A = 1, SMALL_B = 200 } __attribute__((packed));
enum wide_enum { WIDE_A = 1, WIDE_B = 0x100000000ULL };

struct list_node {
	struct list_node *next;
	struct list_node **pprev;
};

struct bits {
	unsigned int flags: 3;
	unsigned int mode: 5;
	int value: 12;
	unsigned long long wide: 40;
	char tail;
};

struct nested {
	int kind;
	union {
		u32 as_u32;
		unsigned char bytes[4];
		struct {
			unsigned short low;
			unsigned short high;
		} halves;
	};
	struct {
		u64 start;
		u64 end;
	} range;
	enum color color;
	enum small_enum small;
	enum wide_enum wide;
};

struct packed_header {
	unsigned char type;
	u32 length;
	unsigned short port;
} __attribute__((packed));

struct aligned_block {
	char tag;
	long long value __attribute__((aligned(16)));
};

typedef struct {
	int (*handler)(void *context, unsigned long flags);
	const char *names[4];
	int matrix[2][3];
	struct list_node node;
	volatile int ready;
} table_t;

union number {
	long long i;
	double d;
	struct bits b;
};

struct list_node layout_node;
struct bits layout_bits;
struct nested layout_nested;
struct packed_header layout_packed;
struct aligned_block layout_aligned;
table_t layout_table;
union number layout_number;
