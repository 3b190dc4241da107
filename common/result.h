// Result<T> and Error: how every fallible operation in mtorrent reports failure.
//
// Bad bytes from a peer, a tracker or a file are expected, so they come back as
// values, never as exceptions. An Error carries a category (Errc), a message
// meant for a person ("bencode: leading zero in integer at offset 5") and, for
// parsers, the byte offset where the problem was found.
#pragma once

#include <cassert>
#include <cstddef>
#include <string>
#include <utility>
#include <variant>

namespace mt::common {

enum class Errc {
    invalid_argument,  // the caller passed something unusable
    parse_error,       // malformed bytes (bencode, metainfo, wire message)
    limit_exceeded,    // well-formed but over a configured limit
    not_found,         // a file, key or peer that is not there
    io_error,          // a system call failed (errno is in the message)
    timeout,           // a deadline passed
    closed,            // the other end closed the connection
    refused,           // the other side said no
    unsupported,       // valid but not something we handle
    changed,           // data changed under us (a shared file edited since it was checked)
};

const char* errc_name(Errc c);

struct Error {
    Errc code = Errc::invalid_argument;
    std::string message;
    std::size_t offset = kNoOffset;  // byte offset for parse errors

    static constexpr std::size_t kNoOffset = static_cast<std::size_t>(-1);

    bool has_offset() const { return offset != kNoOffset; }
};

inline Error make_error(Errc code, std::string message, std::size_t offset = Error::kNoOffset) {
    return Error{code, std::move(message), offset};
}

// Builds an io_error whose message ends with strerror(err).
Error errno_error(const std::string& what, int err);

template <class T>
class [[nodiscard]] Result {
  public:
    Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
    Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT

    bool ok() const { return v_.index() == 0; }
    explicit operator bool() const { return ok(); }

    T& value() & {
        assert(ok());
        return std::get<0>(v_);
    }
    const T& value() const& {
        assert(ok());
        return std::get<0>(v_);
    }
    T&& value() && {
        assert(ok());
        return std::get<0>(std::move(v_));
    }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }

    const Error& error() const {
        assert(!ok());
        return std::get<1>(v_);
    }

  private:
    std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
  public:
    Result() = default;
    Result(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT

    bool ok() const { return ok_; }
    explicit operator bool() const { return ok_; }
    const Error& error() const {
        assert(!ok_);
        return error_;
    }

  private:
    Error error_;
    bool ok_ = true;
};

using Status = Result<void>;

}  // namespace mt::common
