#include "common/file_util.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>

#include "common/net/fd.h"
#include "common/net/socket.h"

namespace mt::common {

Result<std::string> read_file(const std::string& path, std::uint64_t max_size) {
    Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.valid()) return errno_error("cannot open " + path, errno);
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) return errno_error("cannot stat " + path, errno);
    if (!S_ISREG(st.st_mode))
        return make_error(Errc::invalid_argument, path + " is not a regular file");
    if (static_cast<std::uint64_t>(st.st_size) > max_size)
        return make_error(Errc::limit_exceeded, path + " is " + std::to_string(st.st_size) +
                                                    " bytes, over the limit of " +
                                                    std::to_string(max_size));
    std::string data;
    char buf[65536];
    while (true) {
        const ssize_t r = ::read(fd.get(), buf, sizeof buf);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) return errno_error("cannot read " + path, errno);
        if (r == 0) break;
        data.append(buf, static_cast<std::size_t>(r));
        if (data.size() > max_size)
            return make_error(Errc::limit_exceeded, path + " grew past the limit of " +
                                                        std::to_string(max_size) + " bytes");
    }
    return data;
}

Status write_file_atomic(const std::string& path, std::string_view data, unsigned mode,
                         bool durable) {
    const auto slash = path.rfind('/');
    const std::string dir =
        slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
    // pid and a process-wide counter: two threads writing the same path at
    // once each get their own temporary (the last rename wins, whole).
    static std::atomic<unsigned> counter{0};
    const std::string tmp =
        path + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(counter++);
    {
        Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode));
        if (!fd.valid()) return errno_error("cannot create " + tmp, errno);
        if (auto s = write_all(fd.get(), data); !s) {
            ::unlink(tmp.c_str());
            return make_error(s.error().code, "cannot write " + tmp + ": " + s.error().message);
        }
        if (durable && ::fsync(fd.get()) != 0) {
            const int err = errno;
            ::unlink(tmp.c_str());
            return errno_error("cannot fsync " + tmp, err);
        }
    }
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
        const int err = errno;
        ::unlink(tmp.c_str());
        return errno_error("cannot rename " + tmp + " to " + path, err);
    }
    if (!durable) return {};
    Fd dfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (dfd.valid()) ::fsync(dfd.get());
    return {};
}

Status write_file_atomic_new(const std::string& path, std::string_view data, bool overwrite,
                             bool durable) {
    struct stat st {};
    if (!overwrite && ::stat(path.c_str(), &st) == 0)
        return make_error(Errc::invalid_argument,
                          path + " already exists (use --force to replace it)");
    return write_file_atomic(path, data, 0644, durable);
}

}  // namespace mt::common
