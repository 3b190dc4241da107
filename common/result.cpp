#include "common/result.h"

#include <cstring>

namespace mt::common {

const char* errc_name(Errc c) {
    switch (c) {
        case Errc::invalid_argument:
            return "invalid argument";
        case Errc::parse_error:
            return "parse error";
        case Errc::limit_exceeded:
            return "limit exceeded";
        case Errc::not_found:
            return "not found";
        case Errc::io_error:
            return "I/O error";
        case Errc::timeout:
            return "timeout";
        case Errc::closed:
            return "connection closed";
        case Errc::refused:
            return "refused";
        case Errc::unsupported:
            return "unsupported";
        case Errc::changed:
            return "changed";
    }
    return "unknown error";
}

Error errno_error(const std::string& what, int err) {
    Errc code = Errc::io_error;
    if (err == ENOENT) code = Errc::not_found;
    if (err == ETIMEDOUT) code = Errc::timeout;
    if (err == ECONNREFUSED) code = Errc::refused;
    if (err == EPIPE || err == ECONNRESET) code = Errc::closed;
    return make_error(code, what + ": " + std::strerror(err));
}

}  // namespace mt::common
