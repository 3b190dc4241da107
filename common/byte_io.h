// Big-endian reads and writes: the one place wire integers are packed.
//
// Readers take a pointer the caller has already bounds-checked; writers append
// to a std::string (the project's byte buffer type) or store at a pointer.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace mt::common {

inline std::uint16_t read_u16(const void* p) {
    auto b = static_cast<const unsigned char*>(p);
    return static_cast<std::uint16_t>((b[0] << 8) | b[1]);
}

inline std::uint32_t read_u32(const void* p) {
    auto b = static_cast<const unsigned char*>(p);
    return (std::uint32_t{b[0]} << 24) | (std::uint32_t{b[1]} << 16) | (std::uint32_t{b[2]} << 8) |
           std::uint32_t{b[3]};
}

inline std::uint64_t read_u64(const void* p) {
    auto b = static_cast<const unsigned char*>(p);
    return (std::uint64_t{read_u32(b)} << 32) | read_u32(b + 4);
}

inline void store_u16(void* p, std::uint16_t v) {
    auto b = static_cast<unsigned char*>(p);
    b[0] = static_cast<unsigned char>(v >> 8);
    b[1] = static_cast<unsigned char>(v);
}

inline void store_u32(void* p, std::uint32_t v) {
    auto b = static_cast<unsigned char*>(p);
    b[0] = static_cast<unsigned char>(v >> 24);
    b[1] = static_cast<unsigned char>(v >> 16);
    b[2] = static_cast<unsigned char>(v >> 8);
    b[3] = static_cast<unsigned char>(v);
}

inline void store_u64(void* p, std::uint64_t v) {
    auto b = static_cast<unsigned char*>(p);
    store_u32(b, static_cast<std::uint32_t>(v >> 32));
    store_u32(b + 4, static_cast<std::uint32_t>(v));
}

inline void append_u8(std::string& out, std::uint8_t v) {
    out.push_back(static_cast<char>(v));
}

inline void append_u16(std::string& out, std::uint16_t v) {
    char b[2];
    store_u16(b, v);
    out.append(b, 2);
}

inline void append_u32(std::string& out, std::uint32_t v) {
    char b[4];
    store_u32(b, v);
    out.append(b, 4);
}

inline void append_u64(std::string& out, std::uint64_t v) {
    char b[8];
    store_u64(b, v);
    out.append(b, 8);
}

// Sequential bounds-checked reader over a byte span. Every read reports
// failure (returns false) rather than reading past the end.
class ByteReader {
  public:
    explicit ByteReader(std::string_view data) : data_(data) {}

    std::size_t remaining() const { return data_.size() - pos_; }
    std::size_t position() const { return pos_; }

    bool u8(std::uint8_t& v) {
        if (remaining() < 1) return false;
        v = static_cast<std::uint8_t>(data_[pos_++]);
        return true;
    }
    bool u16(std::uint16_t& v) { return fixed(v, 2, read_u16); }
    bool u32(std::uint32_t& v) { return fixed(v, 4, read_u32); }
    bool u64(std::uint64_t& v) { return fixed(v, 8, read_u64); }
    bool bytes(std::size_t n, std::string_view& v) {
        if (remaining() < n) return false;
        v = data_.substr(pos_, n);
        pos_ += n;
        return true;
    }
    std::string_view rest() const { return data_.substr(pos_); }

  private:
    template <class T, class F>
    bool fixed(T& v, std::size_t n, F read) {
        if (remaining() < n) return false;
        v = read(data_.data() + pos_);
        pos_ += n;
        return true;
    }

    std::string_view data_;
    std::size_t pos_ = 0;
};

}  // namespace mt::common
