#include "common/publisher_mark.h"

#include "common/hmac_sha256.h"

namespace mt::common {

namespace {
std::string bytes_of(const Sha256Digest& d) {
    return std::string(reinterpret_cast<const char*>(d.data()), d.size());
}
}  // namespace

std::string publisher_proof(std::string_view secret, const InfoHash& info_hash) {
    return bytes_of(HmacSha256::mac(secret, "withdraw " + info_hash.hex()));
}

std::string owner_of_proof(std::string_view proof) {
    return bytes_of(HmacSha256::mac(proof, "mtorrent publisher"));
}

}  // namespace mt::common
