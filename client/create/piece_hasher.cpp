#include "client/create/piece_hasher.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "common/metainfo.h"
#include "common/net/fd.h"
#include "common/sha1.h"
#include "common/sha1_pair.h"

namespace mt::client {

using common::Errc;
using common::Error;
using common::make_error;

namespace {

// The files as one byte stream: finds and reads the files under a range,
// keeping the last file it opened (one per worker).
class StreamReader {
  public:
    StreamReader(const std::vector<HashSource>& files, const std::vector<std::uint64_t>& starts)
        : files_(files), starts_(starts) {}

    // Reads [offset, offset + size) of the stream into buf.
    common::Status read(std::uint64_t offset, char* buf, std::uint64_t size) {
        // The last file that starts at or before offset (files of length 0
        // share their start with the next one and are never read).
        std::size_t i = static_cast<std::size_t>(
            std::upper_bound(starts_.begin(), starts_.end(), offset) - starts_.begin() - 1);
        std::uint64_t done = 0;
        while (done < size) {
            while (i < files_.size() && starts_[i] + files_[i].length <= offset + done)
                ++i;
            if (i >= files_.size())
                return make_error(Errc::io_error, "read past the end of the files");
            const HashSource& f = files_[i];
            const std::uint64_t in_file = offset + done - starts_[i];
            const std::uint64_t n = std::min(size - done, f.length - in_file);
            if (auto s = read_file_range(i, in_file, buf + done, n); !s) return s;
            done += n;
        }
        return {};
    }

  private:
    common::Status read_file_range(std::size_t i, std::uint64_t offset, char* buf,
                                   std::uint64_t size) {
        const HashSource& f = files_[i];
        if (i != open_index_ || !fd_.valid()) {
            fd_ = common::Fd(::open(f.path.c_str(), O_RDONLY | O_CLOEXEC));
            open_index_ = i;
            if (!fd_.valid()) return common::errno_error("cannot open " + f.path, errno);
            // The workers' reads, in file order and each smaller than the
            // kernel's readahead window, look sequential to it: it keeps
            // reading ahead of them (bench/hash, cold cache). Asking for the
            // chunks ahead ourselves (POSIX_FADV_WILLNEED) made it slower:
            // 1 GiB cold, median of 9, 1.35 s with it against 0.61 s without.
            ::posix_fadvise(fd_.get(), 0, 0, POSIX_FADV_SEQUENTIAL);
        }
        std::uint64_t got = 0;
        while (got < size) {
            const ssize_t r =
                ::pread(fd_.get(), buf + got, size - got, static_cast<off_t>(offset + got));
            if (r < 0 && errno == EINTR) continue;
            if (r < 0) return common::errno_error("cannot read " + f.path, errno);
            if (r == 0)
                return make_error(Errc::io_error, f.path +
                                                      " changed while hashing: it is shorter "
                                                      "than " +
                                                      std::to_string(f.length) + " bytes");
            got += static_cast<std::uint64_t>(r);
        }
        return {};
    }

    const std::vector<HashSource>& files_;
    const std::vector<std::uint64_t>& starts_;
    std::size_t open_index_ = 0;
    common::Fd fd_;
};

}  // namespace

common::Result<std::string> hash_pieces(const std::vector<HashSource>& files,
                                        std::uint64_t piece_length, const HashOptions& options) {
    std::vector<std::uint64_t> starts;
    std::uint64_t length = 0;
    for (const auto& f : files) {
        starts.push_back(length);
        length += f.length;
    }
    // A missing first file is reported before any thread starts.
    for (const auto& f : files) {
        if (f.length == 0) continue;
        common::Fd probe(::open(f.path.c_str(), O_RDONLY | O_CLOEXEC));
        if (!probe.valid()) return common::errno_error("cannot open " + f.path, errno);
        break;
    }
    return hash_stream(
        length, piece_length,
        [&]() -> StreamRead {
            auto reader = std::make_shared<StreamReader>(files, starts);
            return [reader](std::uint64_t offset, char* buf, std::uint64_t size) {
                return reader->read(offset, buf, size);
            };
        },
        options);
}

common::Result<std::string> hash_stream(std::uint64_t length, std::uint64_t piece_length,
                                        const std::function<StreamRead()>& make_reader,
                                        const HashOptions& options) {
    if (piece_length == 0) return make_error(Errc::invalid_argument, "piece length is 0");
    const std::uint64_t pieces = common::piece_count_for(length, piece_length);
    const std::uint64_t per_chunk = std::max<std::uint64_t>(1, options.chunk_bytes / piece_length);
    const std::uint64_t chunk_bytes = per_chunk * piece_length;
    // A piece larger than a chunk (piece lengths up to 1 GiB) is read in
    // chunk-sized steps into one SHA-1 context: a worker's buffer stays
    // options.chunk_bytes, whatever the piece length.
    const std::uint64_t read_bytes =
        std::min<std::uint64_t>(chunk_bytes, std::max<std::uint64_t>(options.chunk_bytes, 1));
    const std::uint64_t chunks = (pieces + per_chunk - 1) / per_chunk;
    unsigned threads =
        options.threads ? options.threads : std::max(1u, std::thread::hardware_concurrency());
    threads =
        static_cast<unsigned>(std::min<std::uint64_t>(threads, std::max<std::uint64_t>(1, chunks)));

    std::string digests(pieces * 20, '\0');
    std::atomic<std::uint64_t> next_chunk{0};
    std::atomic<std::uint64_t> done_bytes{0};
    std::atomic<bool> failed{false};
    std::mutex error_mu;
    Error first_error;

    auto fail = [&](Error e) {
        std::lock_guard<std::mutex> lock(error_mu);
        if (!failed.exchange(true)) first_error = std::move(e);
    };

    auto worker = [&] {
        std::unique_ptr<char[]> buf(new char[read_bytes]);
        const StreamRead read = make_reader();
        while (!failed.load(std::memory_order_relaxed)) {
            if (options.cancel && options.cancel->load()) {
                fail(make_error(Errc::invalid_argument, "hashing cancelled"));
                return;
            }
            const std::uint64_t c = next_chunk.fetch_add(1);
            if (c >= chunks) return;
            const std::uint64_t offset = c * chunk_bytes;
            const std::uint64_t want = std::min(chunk_bytes, length - offset);
            if (read_bytes < chunk_bytes) {  // one large piece, step by step
                common::Sha1 h;
                for (std::uint64_t at = 0; at < want;) {
                    const std::uint64_t n = std::min(read_bytes, want - at);
                    if (auto s = read(offset + at, buf.get(), n); !s) return fail(s.error());
                    h.update(buf.get(), static_cast<std::size_t>(n));
                    at += n;
                    if (options.progress) options.progress(done_bytes.fetch_add(n) + n);
                }
                const auto d = h.finish();
                std::memcpy(digests.data() + c * 20, d.data(), d.size());
                continue;
            }
            if (auto s = read(offset, buf.get(), want); !s) return fail(s.error());
            // Two pieces at a time: interleaved SHA-NI lanes (common/sha1_pair.h).
            common::sha1_pieces(
                buf.get(), want, piece_length,
                reinterpret_cast<std::uint8_t*>(digests.data()) + c * per_chunk * 20);
            const std::uint64_t total = done_bytes.fetch_add(want) + want;
            if (options.progress) options.progress(total);
        }
    };

    std::vector<std::thread> pool;
    for (unsigned i = 1; i < threads; ++i)
        pool.emplace_back(worker);
    worker();
    for (auto& t : pool)
        t.join();
    if (failed) return first_error;
    return digests;
}

common::Result<std::string> hash_file_pieces(const std::string& path, std::uint64_t length,
                                             std::uint64_t piece_length,
                                             const HashOptions& options) {
    return hash_pieces({HashSource{path, length}}, piece_length, options);
}

common::Result<std::size_t> count_bad_pieces(const std::string& path, const common::Metainfo& meta,
                                             const HashOptions& options) {
    auto hashes = hash_file_pieces(path, meta.length, meta.piece_length, options);
    if (!hashes) return hashes.error();
    std::size_t bad = 0;
    for (std::size_t i = 0; i < meta.piece_count(); ++i)
        if (std::string_view(*hashes).substr(i * 20, 20) != meta.piece_hash(i)) ++bad;
    return bad;
}

}  // namespace mt::client
