#include "common/aead.h"

#include <openssl/evp.h>

#include <memory>
#include <stdexcept>

#include "common/byte_io.h"

namespace mt::common {

namespace {
struct CtxFree {
    void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
using Ctx = std::unique_ptr<EVP_CIPHER_CTX, CtxFree>;

const EVP_CIPHER* cipher() {
    static EVP_CIPHER* c = EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr);
    return c;
}

void make_nonce(std::uint64_t counter, unsigned char nonce[12]) {
    store_u32(nonce, 0);
    store_u64(nonce + 4, counter);
}

const unsigned char* u(std::string_view s) {
    return reinterpret_cast<const unsigned char*>(s.data());
}
}  // namespace

void aead_seal(std::string_view key, std::uint64_t counter, std::string_view aad,
               std::string_view plaintext, std::string& out) {
    if (key.size() != kAeadKeyBytes) throw std::invalid_argument("aead: key must be 32 bytes");
    Ctx ctx(EVP_CIPHER_CTX_new());
    unsigned char nonce[12];
    make_nonce(counter, nonce);
    if (!ctx || EVP_EncryptInit_ex2(ctx.get(), cipher(), u(key), nonce, nullptr) != 1)
        throw std::runtime_error("OpenSSL: cannot start AES-256-GCM");
    int len = 0;
    if (!aad.empty())
        EVP_EncryptUpdate(ctx.get(), nullptr, &len, u(aad), static_cast<int>(aad.size()));
    const std::size_t start = out.size();
    out.resize(start + plaintext.size() + kAeadTagBytes);
    auto* dst = reinterpret_cast<unsigned char*>(out.data() + start);
    int n = 0;
    if (!plaintext.empty())
        EVP_EncryptUpdate(ctx.get(), dst, &n, u(plaintext), static_cast<int>(plaintext.size()));
    int fin = 0;
    EVP_EncryptFinal_ex(ctx.get(), dst + n, &fin);
    EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kAeadTagBytes, dst + plaintext.size());
}

Result<std::string> aead_open(std::string_view key, std::uint64_t counter, std::string_view aad,
                              std::string_view sealed) {
    if (key.size() != kAeadKeyBytes)
        return make_error(Errc::invalid_argument, "aead: key must be 32 bytes");
    if (sealed.size() < kAeadTagBytes)
        return make_error(Errc::refused, "aead: message shorter than its tag");
    Ctx ctx(EVP_CIPHER_CTX_new());
    unsigned char nonce[12];
    make_nonce(counter, nonce);
    if (!ctx || EVP_DecryptInit_ex2(ctx.get(), cipher(), u(key), nonce, nullptr) != 1)
        return make_error(Errc::io_error, "OpenSSL: cannot start AES-256-GCM");
    int len = 0;
    if (!aad.empty())
        EVP_DecryptUpdate(ctx.get(), nullptr, &len, u(aad), static_cast<int>(aad.size()));
    const std::size_t n = sealed.size() - kAeadTagBytes;
    std::string plain(n, '\0');
    int out_len = 0;
    if (n > 0)
        EVP_DecryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(plain.data()), &out_len,
                          u(sealed), static_cast<int>(n));
    std::string tag(sealed.substr(n));
    EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kAeadTagBytes, tag.data());
    int fin = 0;
    if (EVP_DecryptFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(plain.data()) + out_len,
                            &fin) != 1)
        return make_error(Errc::refused,
                          "aead: authentication failed (forged, altered or replayed message)");
    return plain;
}

}  // namespace mt::common
