#include "common/hmac_sha256.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <stdexcept>

namespace mt::common {

namespace {
EVP_MAC* hmac_alg() {
    static EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    return mac;
}
}  // namespace

void HmacSha256::CtxFree::operator()(evp_mac_ctx_st* c) const {
    EVP_MAC_CTX_free(c);
}

HmacSha256::HmacSha256(std::string_view key) {
    if (!hmac_alg()) throw std::runtime_error("OpenSSL: HMAC unavailable");
    pristine_.reset(EVP_MAC_CTX_new(hmac_alg()));
    if (!pristine_) throw std::runtime_error("OpenSSL: cannot allocate an HMAC context");
    char digest[] = "SHA256";
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
        OSSL_PARAM_construct_end(),
    };
    // An empty key is legal for HMAC; OpenSSL wants a non-null pointer.
    static const unsigned char kEmpty = 0;
    const auto* k = key.empty() ? &kEmpty : reinterpret_cast<const unsigned char*>(key.data());
    if (EVP_MAC_init(pristine_.get(), k, key.size(), params) != 1)
        throw std::runtime_error("OpenSSL: cannot key HMAC-SHA256");
    ctx_.reset(EVP_MAC_CTX_dup(pristine_.get()));
    if (!ctx_) throw std::runtime_error("OpenSSL: cannot copy an HMAC context");
}

void HmacSha256::update(std::string_view data) {
    EVP_MAC_update(ctx_.get(), reinterpret_cast<const unsigned char*>(data.data()), data.size());
}

Sha256Digest HmacSha256::finish() {
    Sha256Digest out{};
    std::size_t len = 0;
    EVP_MAC_final(ctx_.get(), out.data(), &len, out.size());
    ctx_.reset(EVP_MAC_CTX_dup(pristine_.get()));
    if (!ctx_) throw std::runtime_error("OpenSSL: cannot copy an HMAC context");
    return out;
}

Sha256Digest HmacSha256::mac(std::string_view key, std::string_view data) {
    HmacSha256 h(key);
    h.update(data);
    return h.finish();
}

bool constant_time_equal(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace mt::common
