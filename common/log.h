// A thread-safe logger: one line per call, "2026-11-21T05:36:19.123Z LEVEL message".
//
// Lines from concurrent threads never interleave (each line is written with a
// single write() under a mutex). The message is escaped whole with
// escape_text() (common/text_escape.h): a line carries no control byte, so
// text from a peer or a file can neither forge a line nor steer the terminal
// of whoever reads the log. Passed by reference to whoever logs; there is
// no global logger.
#pragma once

#include <cstddef>
#include <deque>
#include <mutex>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "common/mutex.h"
#include "common/net/fd.h"

namespace mt::common {

enum class LogLevel { debug = 0, info = 1, warn = 2, error = 3 };

const char* log_level_name(LogLevel l);

class Logger {
  public:
    // Appends to `path` (created 0644 if missing; a symbolic link there is
    // refused, see open_for_write). Throws std::runtime_error if the file
    // cannot be opened: a start-up failure.
    explicit Logger(const std::string& path, LogLevel min_level = LogLevel::info);
    // Writes to an already open descriptor (e.g. stderr via dup(2)).
    explicit Logger(Fd fd, LogLevel min_level = LogLevel::info);
    // A logger that discards everything (tests, one-shot tools).
    static Logger null();

    void log(LogLevel level, std::string_view message);
    void debug(std::string_view m) { log(LogLevel::debug, m); }
    void info(std::string_view m) { log(LogLevel::info, m); }
    void warn(std::string_view m) { log(LogLevel::warn, m); }
    void error(std::string_view m) { log(LogLevel::error, m); }

    static constexpr std::size_t kTailLines = 500;
    // A longer line is kept cut there (the file gets it whole).
    static constexpr std::size_t kMaxTailLineBytes = 4096;
    // The last min(n, kTailLines) lines written, oldest first (escaped, no
    // newline). A logger that discards everything keeps none.
    std::vector<std::string> tail(std::size_t n) const EXCLUDES(mu_);

    bool enabled(LogLevel level) const { return fd_.valid() && level >= min_level_; }
    void set_level(LogLevel level) { min_level_ = level; }

  private:
    Logger() = default;
    mutable common::Mutex mu_;
    Fd fd_;  // set once, by the constructor; mu_ keeps lines whole
    std::deque<std::string> tail_ GUARDED_BY(mu_);  // at most kTailLines
    LogLevel min_level_ = LogLevel::info;
};

// Concatenates anything streamable: log.info(cat("peer ", addr, " banned")).
template <class... Args>
std::string cat(const Args&... args) {
    std::ostringstream os;
    (os << ... << args);
    return os.str();
}

// "2026-11-21T05:36:19.123Z" for the current time.
std::string utc_timestamp();

}  // namespace mt::common
