// Host program for the libstdc++ USDT test: waits for a line on stdin, throws
// and catches an int (libstdc++'s libstdcxx:throw probe fires with the
// exception object and its type_info), prints both addresses, waits for
// another line and exits.
#include <cstdio>
#include <typeinfo>

int main() {
    char line[8];
    if (!std::fgets(line, sizeof(line), stdin)) return 2;
    try {
        throw 42;
    } catch (int &caught) {
        std::printf("%p %p\n", static_cast<void *>(&caught), static_cast<const void *>(&typeid(int)));
        std::fflush(stdout);
    }
    std::fgets(line, sizeof(line), stdin);
    return 0;
}
