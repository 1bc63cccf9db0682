// GCC 13 emits a reference to std::ios_base_library_init() from every translation unit that includes
// <iostream>, to make sure the standard streams are initialised. Older libstdc++ (GCC 12, Debian 12)
// initialises them through a static ios_base::Init object instead, so we provide the symbol and do that.
#include <ios>

namespace std {
void ios_base_library_init() {
    static ios_base::Init init;
}
}
