// Bitfield: which pieces a peer (or we) have, in the peer wire's bit order.
//
// Wire format (BEP 3, bitfield message payload): ceil(size / 8) bytes; piece 0
// is the high bit of byte 0, piece 8 the high bit of byte 1; the spare bits
// after the last piece are zero. wire() returns exactly those bytes, so a
// sender can append them to a bitfield message without conversion.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "common/result.h"

namespace mt::common {

class Bitfield {
  public:
    Bitfield() = default;
    // `size` pieces, all clear.
    explicit Bitfield(std::size_t size) : bytes_(wire_size(size), '\0'), size_(size) {}

    // Bytes needed on the wire for `size` pieces.
    static constexpr std::size_t wire_size(std::size_t size) { return size / 8 + (size % 8 != 0); }

    // OK if `bytes` is a valid bitfield for `size` pieces. Errors (parse_error):
    // length other than wire_size(size); a spare bit set.
    static Status check_wire(std::string_view bytes, std::size_t size);
    // Takes the wire bytes (moved in, no copy); errors as check_wire.
    static Result<Bitfield> from_wire(std::string bytes, std::size_t size);

    std::size_t size() const { return size_; }
    // Pieces set; kept up to date by set(), so O(1).
    std::size_t count() const { return count_; }
    bool all() const { return count_ == size_; }
    bool none() const { return count_ == 0; }

    // i < size() (asserted; out of range reads false and writes are ignored).
    bool get(std::size_t i) const;
    void set(std::size_t i, bool value = true);
    void reset(std::size_t i) { set(i, false); }
    // Every piece set (value true) or clear.
    void fill(bool value);

    // The wire bytes: wire_size(size()) of them, spare bits zero.
    const std::string& wire() const { return bytes_; }

    friend bool operator==(const Bitfield& a, const Bitfield& b) {
        return a.size_ == b.size_ && a.bytes_ == b.bytes_;
    }

  private:
    std::string bytes_;
    std::size_t size_ = 0;
    std::size_t count_ = 0;
};

}  // namespace mt::common
