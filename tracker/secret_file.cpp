#include "tracker/secret_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "common/hex.h"
#include "common/net/fd.h"
#include "common/net/socket.h"
#include "common/random.h"

namespace mt::tracker {

using common::cat;
using common::Errc;
using common::Fd;
using common::make_error;

namespace {

constexpr std::size_t kMaxSecretBytes = 4096;

std::string octal(mode_t mode) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "%03o", static_cast<unsigned>(mode & 07777));
    return buf;
}

// Opens an existing secret without following a symlink and checks it.
// Errc::not_found if there is nothing at `path`.
common::Result<std::string> read_secret(const std::string& path) {
    Fd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY));
    if (!fd.valid()) {
        const int err = errno;
        if (err == ENOENT) return make_error(Errc::not_found, "no secret file " + path);
        if (err == ELOOP)
            return make_error(Errc::refused,
                              "secret file " + path +
                                  " is a symlink; the tracker does not follow links to its "
                                  "secret: put the file itself there (mode 600)");
        return common::errno_error("cannot open secret file " + path, err);
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0)
        return common::errno_error("cannot stat secret file " + path, errno);
    if (!S_ISREG(st.st_mode))
        return make_error(Errc::refused, "secret file " + path + " is not a regular file");
    if (auto why = secret_file_problem(path, st.st_uid, st.st_mode, ::geteuid()))
        return make_error(Errc::refused, *why);
    if (st.st_size > static_cast<off_t>(kMaxSecretBytes))
        return make_error(Errc::invalid_argument,
                          cat("secret file ", path, " is larger than ", kMaxSecretBytes, " bytes"));
    std::string s;
    char buf[kMaxSecretBytes + 1];
    while (s.size() <= kMaxSecretBytes) {
        const ssize_t n = ::read(fd.get(), buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return common::errno_error("cannot read secret file " + path, errno);
        if (n == 0) break;
        s.append(buf, static_cast<std::size_t>(n));
    }
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' '))
        s.pop_back();
    if (s.size() < 32)
        return make_error(Errc::invalid_argument,
                          "secret file " + path + " holds " + std::to_string(s.size()) +
                              " bytes; it needs at least 32 (delete it to have one generated)");
    return s;
}

// Writes a new secret to a fresh temporary file and links it to `path`.
// Ok also when another tracker's link got there first (EEXIST).
common::Status create_secret(const std::string& path, common::Logger& log) {
    const std::string tmp = path + "." + common::to_hex(common::random_bytes(8)) + ".tmp";
    Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!fd.valid()) return common::errno_error("cannot create secret file " + tmp, errno);
    const std::string text = common::to_hex(common::random_bytes(32)) + "\n";
    auto ok = common::write_all(fd.get(), text);
    if (ok && ::fsync(fd.get()) != 0) ok = common::errno_error("fsync " + tmp, errno);
    fd.reset();
    if (!ok) {
        ::unlink(tmp.c_str());
        return ok;
    }
    const int rc = ::link(tmp.c_str(), path.c_str());
    const int err = errno;
    ::unlink(tmp.c_str());
    if (rc == 0) {
        log.info(cat("created a new shared secret in ", path,
                     " (copy it to the other tracker's machine, mode 600)"));
        return {};
    }
    if (err == EEXIST) return {};  // someone else's: read_secret judges it
    return common::errno_error("cannot create secret file " + path, err);
}

}  // namespace

std::optional<std::string> secret_file_problem(const std::string& path, uid_t owner, mode_t mode,
                                               uid_t me) {
    if (owner != me)
        return cat("secret file ", path, " is owned by uid ", owner, ", not by uid ", me,
                   " who runs the tracker; a secret another user could have written is not "
                   "trusted: delete it to have one generated, or chown it");
    if (mode & 077)
        return cat("secret file ", path, " has mode ", octal(mode),
                   ": group or others may read or write it; chmod 600 ", path,
                   " (and consider the secret exposed: replace it on both trackers)");
    return std::nullopt;
}

common::Result<std::string> load_or_create_secret(const std::string& path, common::Logger& log) {
    for (int attempt = 0; attempt < 3; ++attempt) {
        auto s = read_secret(path);
        if (s || s.error().code != Errc::not_found) return s;
        if (auto c = create_secret(path, log); !c) return c.error();
    }
    return make_error(Errc::io_error, "cannot read or create secret file " + path);
}

}  // namespace mt::tracker
