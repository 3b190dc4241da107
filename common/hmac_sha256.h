// HMAC-SHA256 (RFC 2104, RFC 4231) through OpenSSL's EVP_MAC.
//
// The key is copied into the OpenSSL context and never logged. One object per
// thread; reset() starts a new message under the same key.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string_view>

struct evp_mac_ctx_st;

namespace mt::common {

using Sha256Digest = std::array<std::uint8_t, 32>;

class HmacSha256 {
  public:
    explicit HmacSha256(std::string_view key);  // throws std::runtime_error if OpenSSL fails
    HmacSha256(HmacSha256&&) noexcept = default;
    HmacSha256& operator=(HmacSha256&&) noexcept = default;

    void update(std::string_view data);
    // Returns the MAC and resets for the next message under the same key.
    Sha256Digest finish();

    static Sha256Digest mac(std::string_view key, std::string_view data);

  private:
    struct CtxFree {
        void operator()(evp_mac_ctx_st* c) const;
    };
    std::unique_ptr<evp_mac_ctx_st, CtxFree> ctx_;
    std::unique_ptr<evp_mac_ctx_st, CtxFree> pristine_;  // keyed, never updated
};

// Compares two MACs in time independent of where they differ.
bool constant_time_equal(std::string_view a, std::string_view b);

}  // namespace mt::common
