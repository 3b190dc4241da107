#include "common/stop_signals.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <pthread.h>
#include <sys/signalfd.h>
#include <unistd.h>

namespace mt::common {
namespace {

// The signal stays blocked in this thread after the test: a pending one
// would otherwise kill the test binary, and a blocked one harms nothing.
TEST(StopSignals, WaitTakesAPendingSignalOrTimesOut) {
    const StopSignals s;
    EXPECT_EQ(s.wait(10), 0);
    ASSERT_EQ(pthread_kill(pthread_self(), SIGTERM), 0);
    EXPECT_EQ(s.wait(1000), SIGTERM);
    EXPECT_EQ(s.wait(10), 0);  // taken once
}

TEST(StopSignals, FdIsReadableWhenHangupIsPending) {
    const StopSignals s(true);
    Fd fd = s.make_fd();
    ASSERT_TRUE(fd.valid());
    pollfd p{fd.get(), POLLIN, 0};
    EXPECT_EQ(::poll(&p, 1, 0), 0);
    ASSERT_EQ(pthread_kill(pthread_self(), SIGHUP), 0);
    EXPECT_EQ(::poll(&p, 1, 1000), 1);
    signalfd_siginfo si{};
    ASSERT_EQ(::read(fd.get(), &si, sizeof si), static_cast<ssize_t>(sizeof si));
    EXPECT_EQ(si.ssi_signo, static_cast<unsigned>(SIGHUP));
}

}  // namespace
}  // namespace mt::common
