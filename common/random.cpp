#include "common/random.h"

#include <openssl/rand.h>

#include <climits>
#include <stdexcept>

namespace mt::common {

void random_bytes(void* out, std::size_t size) {
    auto* p = static_cast<unsigned char*>(out);
    while (size > 0) {
        const int chunk = size > INT_MAX ? INT_MAX : static_cast<int>(size);
        if (RAND_bytes(p, chunk) != 1) throw std::runtime_error("OpenSSL: RAND_bytes failed");
        p += chunk;
        size -= static_cast<std::size_t>(chunk);
    }
}

std::string random_bytes(std::size_t size) {
    std::string s(size, '\0');
    random_bytes(s.data(), size);
    return s;
}

}  // namespace mt::common
