#include "common/ids.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <unordered_set>

namespace mt::common {
namespace {

PeerId client_peer_id(std::uint32_t n) {
    // What real clients send: a fixed "-XX1234-" prefix, then 12 bytes that
    // differ only towards the end.
    std::string s = "-MT0100-000000000000";
    for (int i = 19; i >= 8 && n; --i, n /= 10)
        s[static_cast<std::size_t>(i)] = static_cast<char>('0' + n % 10);
    PeerId id;
    std::memcpy(id.bytes.data(), s.data(), 20);
    return id;
}

TEST(Ids, PeerIdHashUsesMoreThanTheClientPrefix) {
    std::set<std::size_t> hashes;
    std::unordered_set<PeerId> set;
    for (std::uint32_t n = 0; n < 1000; ++n) {
        hashes.insert(std::hash<PeerId>{}(client_peer_id(n)));
        set.insert(client_peer_id(n));
    }
    EXPECT_EQ(hashes.size(), 1000u);
    std::size_t worst = 0;
    for (std::size_t b = 0; b < set.bucket_count(); ++b)
        worst = std::max(worst, set.bucket_size(b));
    EXPECT_LE(worst, 8u) << "peer ids with one client prefix crowd into a few buckets";
}

TEST(LooksLikeInfoHash, FortyHexDigits) {
    EXPECT_TRUE(looks_like_info_hash("0123456789abcdefABCDEF0123456789abcdef01"));
    EXPECT_FALSE(looks_like_info_hash("0123456789abcdef0123456789abcdef0123456"));
    EXPECT_FALSE(looks_like_info_hash("0123456789abcdef0123456789abcdef0123456g"));
    EXPECT_FALSE(looks_like_info_hash("movie.mkv"));
}

}  // namespace
}  // namespace mt::common
