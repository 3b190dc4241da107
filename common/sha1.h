// SHA-1 (FIPS 180-4, RFC 3174) through OpenSSL EVP.
//
// Sha1 owns an EVP_MD_CTX; it can be reset and reused, which matters when a
// thread hashes thousands of pieces. Not thread-safe: one per thread.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string_view>

struct evp_md_ctx_st;

namespace mt::common {

using Sha1Digest = std::array<std::uint8_t, 20>;

class Sha1 {
  public:
    Sha1();  // throws std::runtime_error only if OpenSSL cannot allocate a context
    Sha1(Sha1&&) noexcept = default;
    Sha1& operator=(Sha1&&) noexcept = default;

    void update(const void* data, std::size_t size);
    void update(std::string_view data) { update(data.data(), data.size()); }
    // Returns the digest and resets the context for the next message.
    Sha1Digest finish();

    static Sha1Digest digest(std::string_view data);

  private:
    struct CtxFree {
        void operator()(evp_md_ctx_st* c) const;
    };
    std::unique_ptr<evp_md_ctx_st, CtxFree> ctx_;
};

}  // namespace mt::common
