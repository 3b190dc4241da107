#include "bench/tracker_mix/mix.h"

#include <sys/epoll.h>

#include <algorithm>
#include <ctime>

namespace mt::bench {

AnnounceSource::AnnounceSource(const MixOptions& o, SwarmModel& model)
    : model_(model), join_(o.join), rng_(o.seed) {}

void AnnounceSource::counted(MixStats& s, const Draw& d, common::AnnounceRequest& out) {
    ++s.issued;
    ++s.events[static_cast<int>(d.event)];
    out = model_.announce(d);
}

bool AnnounceSource::next_any(MixStats& s, std::uint32_t& address, common::AnnounceRequest& out) {
    Draw d;
    if (join_) {
        const auto j = model_.next_join_any();
        if (!j) return false;
        d = *j;
        address = model_.address_of(d.slot);
    } else {
        address = static_cast<std::uint32_t>(rng_() % model_.params().addresses);
        d = model_.draw_mix(address, rng_);
    }
    counted(s, d, out);
    return true;
}

bool AnnounceSource::next_at(MixStats& s, std::uint32_t address, common::AnnounceRequest& out) {
    Draw d;
    if (join_) {
        const auto j = model_.next_join(address);
        if (!j) return false;
        d = *j;
    } else {
        d = model_.draw_mix(address, rng_);
    }
    counted(s, d, out);
    return true;
}

int wait_events(int ep, void* events, int max, Clock::time_point now, Clock::time_point until) {
    const auto cap = now + std::chrono::milliseconds(20);
    const auto wait =
        std::max(Clock::duration::zero(), std::min(until, cap) - now);  // never negative
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(wait).count();
    timespec ts{static_cast<time_t>(ns / 1000000000), static_cast<long>(ns % 1000000000)};
    return epoll_pwait2(ep, static_cast<epoll_event*>(events), max, &ts, nullptr);
}

common::SockAddr source_address(std::uint32_t a) {
    return common::SockAddr::from(common::IpAddr(SwarmModel::ipv4_of(a)), 0);
}

}  // namespace mt::bench
