#include "common/sha1.h"

#include <openssl/evp.h>

#include <stdexcept>

namespace mt::common {

namespace {
// Fetched once: an implicit fetch on every init is measurable per piece.
const EVP_MD* sha1_md() {
    static EVP_MD* md = EVP_MD_fetch(nullptr, "SHA1", nullptr);
    return md;
}
}  // namespace

void Sha1::CtxFree::operator()(evp_md_ctx_st* c) const {
    EVP_MD_CTX_free(c);
}

Sha1::Sha1() : ctx_(EVP_MD_CTX_new()) {
    if (!ctx_ || !sha1_md() || EVP_DigestInit_ex(ctx_.get(), sha1_md(), nullptr) != 1)
        throw std::runtime_error("OpenSSL: cannot initialise SHA-1");
}

void Sha1::update(const void* data, std::size_t size) {
    EVP_DigestUpdate(ctx_.get(), data, size);
}

Sha1Digest Sha1::finish() {
    Sha1Digest out{};
    unsigned int len = 0;
    EVP_DigestFinal_ex(ctx_.get(), out.data(), &len);
    EVP_DigestInit_ex(ctx_.get(), sha1_md(), nullptr);
    return out;
}

Sha1Digest Sha1::digest(std::string_view data) {
    Sha1Digest out{};
    unsigned int len = 0;
    EVP_Digest(data.data(), data.size(), out.data(), &len, sha1_md(), nullptr);
    return out;
}

}  // namespace mt::common
