// The far end of a peer connection in the engine's unit tests: a socket
// (one end of a socketpair) on which the test sends peer wire messages and
// reads what the engine sends, each wait bounded by 5 s.
#pragma once

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/wire/peer_wire.h"

namespace mt::client::test_support {

namespace wire = common::wire;

// The peer's end of the socketpair: sends messages, reads what the
// connection sends.
class ScriptedPeer {
  public:
    ScriptedPeer(int fd, std::uint32_t pieces) : fd_(fd), decoder_(pieces) {}
    ~ScriptedPeer() { ::close(fd_); }

    // false if the connection is gone.
    bool send_raw(const std::string& bytes) {
        const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
        return n == static_cast<ssize_t>(bytes.size());
    }
    bool send(const wire::Message& m) {
        std::string out;
        wire::encode(m, out);
        return send_raw(out);
    }
    std::optional<wire::Handshake> read_handshake() {
        std::string buf;
        if (!read_bytes(buf, wire::kHandshakeSize)) return std::nullopt;
        auto h = wire::decode_handshake(buf);
        return h ? std::optional(*h) : std::nullopt;
    }
    // The next message of type T within timeout_ms; the ones before it are kept in seen().
    template <typename T>
    std::optional<T> expect(int timeout_ms = 5000) {
        const std::int64_t deadline = common::mono_ms() + timeout_ms;
        while (common::mono_ms() < deadline) {
            auto step = decoder_.next();
            if (auto* m = std::get_if<wire::Message>(&step)) {
                if (auto* t = std::get_if<T>(m)) return *t;
                seen_.push_back(std::move(*m));
                continue;
            }
            if (std::holds_alternative<common::Error>(step)) return std::nullopt;
            pollfd p{fd_, POLLIN, 0};
            if (::poll(&p, 1, 100) <= 0) continue;
            char buf[65536];
            const ssize_t n = ::read(fd_, buf, sizeof buf);
            if (n <= 0) return std::nullopt;
            decoder_.feed(std::string_view(buf, static_cast<std::size_t>(n)));
        }
        return std::nullopt;
    }
    // Whether the connection closed its end within 5 s (what it sent is read
    // and kept in seen()).
    bool closed() {
        const std::int64_t deadline = common::mono_ms() + 5000;
        while (common::mono_ms() < deadline) {
            pollfd p{fd_, POLLIN, 0};
            if (::poll(&p, 1, 100) <= 0) continue;
            char buf[65536];
            const ssize_t n = ::read(fd_, buf, sizeof buf);
            if (n <= 0) return true;
            decoder_.feed(std::string_view(buf, static_cast<std::size_t>(n)));
        }
        return false;
    }
    const std::vector<wire::Message>& seen() const { return seen_; }

  private:
    bool read_bytes(std::string& out, std::size_t n) {
        while (out.size() < n) {
            pollfd p{fd_, POLLIN, 0};
            if (::poll(&p, 1, 5000) <= 0) return false;
            char buf[256];
            const ssize_t r = ::read(fd_, buf, std::min(sizeof buf, n - out.size()));
            if (r <= 0) return false;
            out.append(buf, static_cast<std::size_t>(r));
        }
        return true;
    }

    int fd_;
    wire::MessageDecoder decoder_;
    std::vector<wire::Message> seen_;
};

}  // namespace mt::client::test_support
