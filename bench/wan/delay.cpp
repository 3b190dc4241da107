// bench/wan/delay: the delay and loss stage of bench/wan (this kernel has no
// sch_netem). It creates a TUN device (IFF_TUN | IFF_NO_PI) in the network
// namespace it runs in, brings it up, and then forever: reads every packet the
// kernel routes into the device, stamps it with its due time (arrival + the
// one-way delay), drops it with probability --loss, holds it in a ring buffer
// and writes it back into the device at its due time, in arrival order, from
// where the kernel routes it on by the main table. One thread, ppoll() with a
// nanosecond timeout until the oldest packet is due; no busy waiting.
//
// usage: delay --dev NAME --delay-ms MS [--loss PCT] [--seed N] [--mtu BYTES]
//              [--buffer-mib MIB] [--stats FILE] [--ready FILE] [--rt-priority N]
//   --rt-priority N  SCHED_FIFO at priority N (default 0: stay SCHED_OTHER); the
//                 stage stands for the network, which no CPU-hungry peer slows
//                 down, and it never spins (it blocks in ppoll)
//   --ready FILE  written once the device is up (the caller then routes into it)
//   --stats FILE  written (atomically: FILE.tmp, then rename) on SIGUSR1 and at
//                 exit; every counter is cumulative since start, except the
//                 maxima, which are since the previous write of the file:
//                   seq N                 one more per write of the file
//                   packets P bytes B     everything read from the device
//                   lost L                dropped by --loss
//                   overflow O            dropped because the buffer was full
//                   write_errors E        write() into the device failed
//                   late_us_max X late_us_sum Y   how long after its due time
//                                         each packet was written (accuracy)
//                   late_hist U1:C1 U2:C2 ...  packets written less than U us
//                                         late (the last bucket, U=inf: the rest)
//                   queue_max_packets Q queue_max_bytes QB
//                   flow SRC DST packets bytes tcp_payload lost   per IPv4
//                                         source/destination pair (bytes: IP
//                                         total length; tcp_payload: bytes after
//                                         the IP and TCP headers; counted on
//                                         arrival, so lost packets are included)
// SIGTERM or SIGINT: writes the stats file and exits 0. Exit 1 on a set-up error.
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <random>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

namespace {

volatile sig_atomic_t g_stop = 0;  // set by the signal handlers only
volatile sig_atomic_t g_dump = 0;

class Fd {
  public:
    explicit Fd(int fd = -1) : fd_(fd) {}
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    Fd(Fd&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
    ~Fd() {
        if (fd_ >= 0) ::close(fd_);
    }
    int get() const { return fd_; }

  private:
    int fd_;
};

struct Options {
    std::string dev;
    double delay_ms = -1;
    double loss_pct = 0;
    uint64_t seed = 1;
    int mtu = 0;  // 0: leave the device's default (1500)
    size_t buffer_mib = 64;
    std::string stats;
    std::string ready;
    int rt_priority = 0;
};

int64_t now_ns() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec;
}

// Packets in arrival order in one byte buffer (records never straddle its
// end). Each record: a Header, then the packet, padded to 16 bytes.
class PacketRing {
  public:
    struct Header {
        int64_t due_ns;
        uint32_t len;
        uint32_t pad;
    };

    explicit PacketRing(size_t capacity) : buf_(capacity) {}

    // Room for a packet of up to max_len bytes at the tail, or nullptr if full.
    uint8_t* reserve(size_t max_len) {
        const size_t need = record_size(max_len);
        if (count_ == 0) head_ = tail_ = end_ = 0, wrapped_ = false;
        if (!wrapped_) {
            if (buf_.size() - tail_ >= need) return at(tail_);
            if (head_ >= need) {  // wrap: the data runs [head_, end_) then [0, tail_)
                end_ = tail_;
                tail_ = 0;
                wrapped_ = true;
                return at(0);
            }
            return nullptr;
        }
        return head_ - tail_ >= need ? at(tail_) : nullptr;
    }
    // Keeps the packet written at reserve()'s pointer.
    void commit(uint32_t len, int64_t due_ns) {
        auto* h = reinterpret_cast<Header*>(buf_.data() + tail_);
        h->due_ns = due_ns;
        h->len = len;
        tail_ += record_size(len);
        if (!wrapped_) end_ = tail_;
        ++count_;
        bytes_ += len;
    }
    bool empty() const { return count_ == 0; }
    const Header& front() const { return *reinterpret_cast<const Header*>(buf_.data() + head_); }
    const uint8_t* front_data() const { return buf_.data() + head_ + sizeof(Header); }
    void pop() {
        const Header& h = front();
        bytes_ -= h.len;
        head_ += record_size(h.len);
        --count_;
        if (wrapped_ && head_ == end_) head_ = 0, wrapped_ = false, end_ = tail_;
    }
    size_t count() const { return count_; }
    size_t bytes() const { return bytes_; }

  private:
    static size_t record_size(size_t len) { return (sizeof(Header) + len + 15) & ~size_t{15}; }
    uint8_t* at(size_t off) { return buf_.data() + off + sizeof(Header); }

    std::vector<uint8_t> buf_;
    size_t head_ = 0, tail_ = 0, end_ = 0;
    bool wrapped_ = false;
    size_t count_ = 0, bytes_ = 0;
};

struct FlowCount {
    uint64_t packets = 0, bytes = 0, tcp_payload = 0, lost = 0;
};

struct Stats {
    uint64_t seq = 0, packets = 0, bytes = 0, lost = 0, overflow = 0, write_errors = 0;
    uint64_t late_ns_max = 0, late_ns_sum = 0, queue_max_packets = 0, queue_max_bytes = 0;
    std::unordered_map<uint64_t, FlowCount> flows;  // key: source << 32 | destination
    static constexpr uint64_t kLateUs[] = {50, 100, 200, 500, 1000, 2000, 5000, 10000};
    uint64_t late_hist[std::size(kLateUs) + 1] = {};

    void late(uint64_t ns) {
        late_ns_sum += ns;
        if (ns > late_ns_max) late_ns_max = ns;
        size_t b = 0;
        while (b < std::size(kLateUs) && ns >= kLateUs[b] * 1000)
            ++b;
        ++late_hist[b];
    }

    // Counts one packet read from the device (IPv4 only; others count in the totals).
    FlowCount* count(const uint8_t* p, size_t n) {
        ++packets;
        bytes += n;
        if (n < 20 || (p[0] >> 4) != 4) return nullptr;
        const size_t ihl = size_t{p[0] & 0x0fu} * 4;
        const size_t total = size_t{p[2]} << 8 | p[3];
        uint32_t src = 0, dst = 0;
        std::memcpy(&src, p + 12, 4);
        std::memcpy(&dst, p + 16, 4);
        FlowCount& f = flows[uint64_t{ntohl(src)} << 32 | ntohl(dst)];
        ++f.packets;
        f.bytes += total;
        if (p[9] == IPPROTO_TCP && n >= ihl + 20 && total >= ihl + 20) {
            const size_t doff = static_cast<size_t>(p[ihl + 12] >> 4) * 4;
            if (total >= ihl + doff) f.tcp_payload += total - ihl - doff;
        }
        return &f;
    }

    void write(const std::string& path) {
        if (path.empty()) return;
        const std::string tmp = path + ".tmp";
        FILE* f = std::fopen(tmp.c_str(), "w");
        if (f == nullptr) return;
        ++seq;
        std::fprintf(
            f, "seq %llu\npackets %llu bytes %llu\nlost %llu\noverflow %llu\nwrite_errors %llu\n",
            ull(seq), ull(packets), ull(bytes), ull(lost), ull(overflow), ull(write_errors));
        std::fprintf(
            f, "late_us_max %llu late_us_sum %llu\nqueue_max_packets %llu queue_max_bytes %llu\n",
            ull(late_ns_max / 1000), ull(late_ns_sum / 1000), ull(queue_max_packets),
            ull(queue_max_bytes));
        std::fprintf(f, "late_hist");
        for (size_t b = 0; b < std::size(kLateUs); ++b)
            std::fprintf(f, " %llu:%llu", ull(kLateUs[b]), ull(late_hist[b]));
        std::fprintf(f, " inf:%llu\n", ull(late_hist[std::size(kLateUs)]));
        for (const auto& [key, c] : flows) {
            std::fprintf(f, "flow %s %s %llu %llu %llu %llu\n", ip(uint32_t(key >> 32)).c_str(),
                         ip(uint32_t(key)).c_str(), ull(c.packets), ull(c.bytes),
                         ull(c.tcp_payload), ull(c.lost));
        }
        std::fclose(f);
        std::rename(tmp.c_str(), path.c_str());
        late_ns_max = queue_max_packets = queue_max_bytes = 0;  // maxima: per interval
    }

  private:
    static unsigned long long ull(uint64_t v) { return v; }
    static std::string ip(uint32_t host_order) {
        char s[INET_ADDRSTRLEN] = {};
        const uint32_t net = htonl(host_order);
        inet_ntop(AF_INET, &net, s, sizeof s);
        return s;
    }
};

Options parse(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (i + 1 >= argc) throw std::runtime_error("option " + a + " needs a value");
        const std::string v = argv[++i];
        if (a == "--dev")
            o.dev = v;
        else if (a == "--delay-ms")
            o.delay_ms = std::stod(v);
        else if (a == "--loss")
            o.loss_pct = std::stod(v);
        else if (a == "--seed")
            o.seed = std::stoull(v);
        else if (a == "--mtu")
            o.mtu = std::stoi(v);
        else if (a == "--buffer-mib")
            o.buffer_mib = std::stoul(v);
        else if (a == "--stats")
            o.stats = v;
        else if (a == "--ready")
            o.ready = v;
        else if (a == "--rt-priority")
            o.rt_priority = std::stoi(v);
        else
            throw std::runtime_error("unknown option " + a);
    }
    if (o.dev.empty() || o.dev.size() >= IFNAMSIZ || o.delay_ms < 0)
        throw std::runtime_error(
            "usage: delay --dev NAME --delay-ms MS [--loss PCT] [--seed N] "
            "[--mtu BYTES] [--buffer-mib MIB] [--stats FILE] [--ready FILE]");
    if (o.loss_pct < 0 || o.loss_pct > 100)
        throw std::runtime_error("--loss is a percentage, 0-100");
    return o;
}

std::string errno_text(const std::string& what) {
    return what + ": " + std::strerror(errno);
}

// Creates the TUN device, sets its MTU (if asked) and brings it up; returns
// the device's descriptor (non-blocking) and its MTU.
Fd open_tun(const Options& o, int* mtu) {
    Fd fd(::open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC));
    if (fd.get() < 0) throw std::runtime_error(errno_text("open /dev/net/tun"));
    ifreq ifr{};
    ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
    std::strncpy(ifr.ifr_name, o.dev.c_str(), IFNAMSIZ - 1);
    if (ioctl(fd.get(), TUNSETIFF, &ifr) < 0)
        throw std::runtime_error(errno_text("TUNSETIFF " + o.dev));
    Fd sock(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (sock.get() < 0) throw std::runtime_error(errno_text("socket"));
    if (o.mtu > 0) {
        ifr.ifr_mtu = o.mtu;
        if (ioctl(sock.get(), SIOCSIFMTU, &ifr) < 0)
            throw std::runtime_error(errno_text("SIOCSIFMTU"));
    }
    if (ioctl(sock.get(), SIOCGIFMTU, &ifr) < 0) throw std::runtime_error(errno_text("SIOCGIFMTU"));
    *mtu = ifr.ifr_mtu;
    if (ioctl(sock.get(), SIOCGIFFLAGS, &ifr) < 0)
        throw std::runtime_error(errno_text("SIOCGIFFLAGS"));
    ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP);
    if (ioctl(sock.get(), SIOCSIFFLAGS, &ifr) < 0)
        throw std::runtime_error(errno_text("SIOCSIFFLAGS"));
    return fd;
}

void on_signal(int sig) {
    if (sig == SIGUSR1)
        g_dump = 1;
    else
        g_stop = 1;
}

// Blocks the signals outside ppoll() (so a flag is never missed between the
// check and the wait) and returns the mask ppoll() waits with.
sigset_t install_signals() {
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigset_t block;
    sigemptyset(&block);
    for (int s : {SIGTERM, SIGINT, SIGUSR1}) {
        sigaction(s, &sa, nullptr);
        sigaddset(&block, s);
    }
    sigset_t old;
    sigprocmask(SIG_BLOCK, &block, &old);
    for (int s : {SIGTERM, SIGINT, SIGUSR1})
        sigdelset(&old, s);
    return old;
}

// Writes every packet whose due time has passed, oldest first.
void send_due(int fd, PacketRing& ring, Stats& st) {
    while (!ring.empty()) {
        const int64_t now = now_ns();
        const PacketRing::Header& h = ring.front();
        if (h.due_ns > now) return;
        const auto late = static_cast<uint64_t>(now - h.due_ns);
        st.late(late);
        if (::write(fd, ring.front_data(), h.len) < 0) ++st.write_errors;
        ring.pop();
    }
}

// Reads up to 64 packets (fewer if the device has no more), so that due
// packets are not held back by a flood of arrivals.
void receive(int fd, PacketRing& ring, Stats& st, int mtu, int64_t delay_ns, double loss,
             std::mt19937_64& rng, std::vector<uint8_t>& scratch) {
    std::uniform_real_distribution<double> uniform(0.0, 1.0);
    for (int i = 0; i < 64; ++i) {
        uint8_t* slot = ring.reserve(static_cast<size_t>(mtu));
        uint8_t* into = slot != nullptr ? slot : scratch.data();
        const size_t room = slot != nullptr ? static_cast<size_t>(mtu) : scratch.size();
        const ssize_t n = ::read(fd, into, room);
        if (n <= 0) return;  // EAGAIN: nothing more for now
        const int64_t due = now_ns() + delay_ns;
        FlowCount* flow = st.count(into, static_cast<size_t>(n));
        if (loss > 0 && uniform(rng) < loss) {
            ++st.lost;
            if (flow != nullptr) ++flow->lost;
            continue;
        }
        if (slot == nullptr) {
            ++st.overflow;
            continue;
        }
        ring.commit(static_cast<uint32_t>(n), due);
        if (ring.count() > st.queue_max_packets) st.queue_max_packets = ring.count();
        if (ring.bytes() > st.queue_max_bytes) st.queue_max_bytes = ring.bytes();
    }
}

int run(const Options& o) {
    int mtu = 0;
    Fd tun = open_tun(o, &mtu);
    const sigset_t wait_mask = install_signals();
    prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);  // wake within a microsecond of the due time
    if (o.rt_priority > 0) {
        sched_param sp{};
        sp.sched_priority = o.rt_priority;
        if (sched_setscheduler(0, SCHED_FIFO, &sp) < 0)
            std::fprintf(stderr, "delay: %s (staying SCHED_OTHER)\n",
                         errno_text("SCHED_FIFO").c_str());
    }
    PacketRing ring(o.buffer_mib << 20);
    Stats st;
    std::mt19937_64 rng(o.seed);
    std::vector<uint8_t> scratch(65536);
    const auto delay_ns = static_cast<int64_t>(o.delay_ms * 1e6);
    if (!o.ready.empty()) {
        FILE* f = std::fopen(o.ready.c_str(), "w");
        if (f == nullptr) throw std::runtime_error(errno_text("open " + o.ready));
        std::fprintf(f, "%s %d\n", o.dev.c_str(), mtu);
        std::fclose(f);
    }
    pollfd pfd{tun.get(), POLLIN, 0};
    while (!g_stop) {
        if (g_dump) {
            g_dump = 0;
            st.write(o.stats);
        }
        send_due(tun.get(), ring, st);
        timespec wait{};
        timespec* timeout = nullptr;  // nothing queued: wait for a packet or a signal
        if (!ring.empty()) {
            const int64_t left = std::max<int64_t>(0, ring.front().due_ns - now_ns());
            wait.tv_sec = left / 1000000000;
            wait.tv_nsec = left % 1000000000;
            timeout = &wait;
        }
        const int r = ppoll(&pfd, 1, timeout, &wait_mask);
        if (r < 0 && errno != EINTR) throw std::runtime_error(errno_text("ppoll"));
        if (r > 0 && (pfd.revents & POLLIN))
            receive(tun.get(), ring, st, mtu, delay_ns, o.loss_pct / 100.0, rng, scratch);
    }
    st.write(o.stats);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        return run(parse(argc, argv));
    } catch (const std::exception& e) {
        std::fprintf(stderr, "delay: %s\n", e.what());
        return 1;
    }
}
