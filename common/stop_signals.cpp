#include "common/stop_signals.h"

#include <pthread.h>
#include <sys/signalfd.h>

#include <ctime>

namespace mt::common {

StopSignals::StopSignals(bool with_hangup) {
    sigemptyset(&set_);
    sigaddset(&set_, SIGINT);
    sigaddset(&set_, SIGTERM);
    if (with_hangup) sigaddset(&set_, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set_, nullptr);
}

int StopSignals::wait(int wait_ms) const {
    timespec ts{wait_ms / 1000, (wait_ms % 1000) * 1000000L};
    const int sig = sigtimedwait(&set_, nullptr, &ts);
    return sig > 0 ? sig : 0;
}

Fd StopSignals::make_fd() const {
    return Fd(::signalfd(-1, &set_, SFD_CLOEXEC));
}

}  // namespace mt::common
