// The one way a process of ours stops on a signal: SIGINT and SIGTERM (and
// SIGHUP when asked) are blocked in the thread that builds a StopSignals,
// before it starts any other, so every thread inherits the mask and no
// handler runs at an arbitrary point; one thread takes them, with wait()
// (a timed sigtimedwait, for a main loop that also does periodic work) or
// through make_fd() (a signalfd, for a poll() loop).
#pragma once

#include <signal.h>

#include "common/net/fd.h"

namespace mt::common {

class StopSignals {
  public:
    explicit StopSignals(bool with_hangup = false);

    // Waits up to `wait_ms` for one of the signals: its number, or 0.
    int wait(int wait_ms) const;
    // A descriptor readable when one of the signals is pending (invalid if
    // the kernel refused one).
    Fd make_fd() const;
    const sigset_t& set() const { return set_; }

  private:
    sigset_t set_;
};

}  // namespace mt::common
