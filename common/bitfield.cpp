#include "common/bitfield.h"

#include <bit>
#include <cassert>
#include <cstdint>

namespace mt::common {

namespace {
unsigned char mask(std::size_t i) {
    return static_cast<unsigned char>(0x80u >> (i % 8));
}
}  // namespace

Status Bitfield::check_wire(std::string_view bytes, std::size_t size) {
    if (bytes.size() != wire_size(size))
        return make_error(Errc::parse_error, "bitfield: " + std::to_string(bytes.size()) +
                                                 " bytes for " + std::to_string(size) +
                                                 " pieces, expected " +
                                                 std::to_string(wire_size(size)));
    if (size % 8 != 0) {
        const auto last = static_cast<unsigned char>(bytes.back());
        const auto spare = static_cast<unsigned char>(0xffu >> (size % 8));
        if ((last & spare) != 0)
            return make_error(
                Errc::parse_error,
                "bitfield: spare bits after piece " + std::to_string(size - 1) + " are set",
                bytes.size() - 1);
    }
    return {};
}

Result<Bitfield> Bitfield::from_wire(std::string bytes, std::size_t size) {
    if (auto st = check_wire(bytes, size); !st) return st.error();
    Bitfield b;
    b.bytes_ = std::move(bytes);
    b.size_ = size;
    for (char c : b.bytes_)
        b.count_ += static_cast<std::size_t>(std::popcount(static_cast<unsigned char>(c)));
    return b;
}

bool Bitfield::get(std::size_t i) const {
    assert(i < size_);
    if (i >= size_) return false;
    return (static_cast<unsigned char>(bytes_[i / 8]) & mask(i)) != 0;
}

void Bitfield::set(std::size_t i, bool value) {
    assert(i < size_);
    if (i >= size_ || get(i) == value) return;
    auto& byte = reinterpret_cast<unsigned char&>(bytes_[i / 8]);
    if (value) {
        byte = static_cast<unsigned char>(byte | mask(i));
        ++count_;
    } else {
        byte = static_cast<unsigned char>(byte & ~mask(i));
        --count_;
    }
}

void Bitfield::fill(bool value) {
    bytes_.assign(wire_size(size_), value ? '\xff' : '\0');
    if (value && size_ % 8 != 0) bytes_.back() = static_cast<char>(0xffu << (8 - size_ % 8));
    count_ = value ? size_ : 0;
}

}  // namespace mt::common
