#include "common/log.h"

#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <stdexcept>

#include "common/file_util.h"
#include "common/net/socket.h"
#include "common/text_escape.h"

namespace mt::common {

const char* log_level_name(LogLevel l) {
    switch (l) {
        case LogLevel::debug:
            return "DEBUG";
        case LogLevel::info:
            return "INFO";
        case LogLevel::warn:
            return "WARN";
        case LogLevel::error:
            return "ERROR";
    }
    return "?";
}

Logger::Logger(const std::string& path, LogLevel min_level) : min_level_(min_level) {
    auto fd = open_for_write(path, WriteMode::append, 0644);
    if (!fd) throw std::runtime_error("cannot open log file: " + fd.error().message);
    fd_ = std::move(fd).value();
}

Logger::Logger(Fd fd, LogLevel min_level) : fd_(std::move(fd)), min_level_(min_level) {}

Logger Logger::null() {
    return Logger();
}

std::string utc_timestamp() {
    timeval tv{};
    ::gettimeofday(&tv, nullptr);
    std::tm tm{};
    ::gmtime_r(&tv.tv_sec, &tm);
    char buf[96];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                  static_cast<int>(tv.tv_usec / 1000));
    return buf;
}

void Logger::log(LogLevel level, std::string_view message) {
    if (!enabled(level)) return;
    std::string line = utc_timestamp();
    line += ' ';
    line += log_level_name(level);
    line += ' ';
    // One event, one line, and nothing in it that steers a terminal showing
    // the log: names, comments, URLs and peer messages land here.
    append_escaped(line, message);
    std::string kept = line.substr(0, kMaxTailLineBytes);
    line += '\n';
    common::MutexLock lock(mu_);
    (void)write_all(fd_.get(), line);  // a failing log must not take the process down
    if (tail_.size() == kTailLines) tail_.pop_front();
    tail_.push_back(std::move(kept));
}

std::vector<std::string> Logger::tail(std::size_t n) const {
    common::MutexLock lock(mu_);
    n = std::min(n, tail_.size());
    return std::vector<std::string>(tail_.end() - static_cast<std::ptrdiff_t>(n), tail_.end());
}

}  // namespace mt::common
