#include "client/web/web_token.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "common/file_util.h"
#include "common/hex.h"
#include "common/log.h"
#include "common/net/fd.h"
#include "common/random.h"

namespace mt::client::web {

using common::cat;
using common::Errc;
using common::make_error;

namespace {

constexpr std::size_t kMaxTokenFile = 256;

common::Result<std::string> read_token(const std::string& path) {
    common::Fd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY));
    if (!fd.valid()) {
        const int err = errno;
        if (err == ENOENT) return make_error(Errc::not_found, "no token file " + path);
        if (err == ELOOP)
            return make_error(Errc::refused, "token file " + path +
                                                 " is a symbolic link; put the file itself there "
                                                 "(mode 600) or delete it to have one made");
        return common::errno_error("cannot open token file " + path, err);
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0)
        return common::errno_error("cannot stat token file " + path, errno);
    if (!S_ISREG(st.st_mode))
        return make_error(Errc::refused, "token file " + path + " is not a regular file");
    if (auto why = token_file_problem(path, st.st_uid, st.st_mode, ::geteuid()))
        return make_error(Errc::refused, *why);
    std::string s;
    char buf[kMaxTokenFile + 1];
    while (s.size() <= kMaxTokenFile) {
        const ssize_t n = ::read(fd.get(), buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return common::errno_error("cannot read token file " + path, errno);
        if (n == 0) break;
        s.append(buf, static_cast<std::size_t>(n));
    }
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' '))
        s.pop_back();
    bool hex = s.size() >= 32 && s.size() <= 128;
    for (char c : s)
        hex = hex && ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
    if (!hex)
        return make_error(Errc::invalid_argument,
                          "token file " + path +
                              " does not hold 32 to 128 lowercase hex digits; delete it to have "
                              "a new one made");
    return s;
}

}  // namespace

std::optional<std::string> token_file_problem(const std::string& path, uid_t owner, mode_t mode,
                                              uid_t me) {
    if (owner != me)
        return cat("token file ", path, " is owned by uid ", owner, ", not by uid ", me,
                   " who runs the client; it is not trusted: delete it to have one made");
    if (mode & 077) {
        char m[8];
        std::snprintf(m, sizeof m, "%03o", static_cast<unsigned>(mode & 07777));
        return cat("token file ", path, " has mode ", m,
                   ": group or others may read or write it; chmod 600 ", path,
                   " (or delete it to have a new token made)");
    }
    return std::nullopt;
}

common::Result<std::string> load_or_create_token(const std::string& path) {
    for (int attempt = 0; attempt < 3; ++attempt) {
        auto t = read_token(path);
        if (t || t.error().code != Errc::not_found) return t;
        const std::string token = common::to_hex(common::random_bytes(32));
        auto w = common::write_file_atomic_new(path, token + "\n", /*overwrite=*/false,
                                               /*durable=*/true, 0600);
        if (!w && w.error().code != Errc::invalid_argument) return w.error();
    }
    return make_error(Errc::io_error, "cannot read or create token file " + path);
}

}  // namespace mt::client::web
