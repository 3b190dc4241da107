// The prompt of the interactive client (started by client/cli/interactive_cmd.h):
// reads commands (client/session/command.h) from standard input, a terminal or a
// pipe, answering each with one reply (client/session/reply_format.h) on standard
// output. `quit`, `exit`, end of input, Ctrl-C (SIGINT), SIGTERM and SIGHUP
// all end the session the same way: every transfer announces `stopped`, the
// state is saved, every thread is joined, exit status 0.
//
// On a terminal the prompt `mtorrent> ` is shown and `show downloads` draws
// progress bars; on a pipe neither, so the output is exactly the replies.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mt::client {

class Session;

// Splits input bytes into lines (LF or CRLF). Pure. A line longer than
// max_bytes is returned once, cut, with too_long set; the rest of it, up to
// the next newline, is dropped.
class LineSplitter {
  public:
    struct Line {
        std::string text;
        bool too_long = false;
    };
    explicit LineSplitter(std::size_t max_bytes = 64 * 1024) : max_(max_bytes) {}
    void feed(std::string_view bytes);
    std::optional<Line> next();
    // End of input: the last line if it had no newline.
    std::optional<Line> finish();

  private:
    std::size_t max_;
    std::string partial_;
    bool skipping_ = false;  // dropping the rest of a too-long line
    std::vector<Line> ready_;
    std::size_t taken_ = 0;
};

// The read-eval-print loop over descriptors: reads `in_fd` until quit, end of
// input or a signal readable on `signal_fd` (a signalfd; -1: none).
void run_prompt(Session& session, int in_fd, int out_fd, int signal_fd, bool interactive,
                bool bars);

}  // namespace mt::client
