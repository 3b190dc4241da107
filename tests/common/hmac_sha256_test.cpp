#include "common/hmac_sha256.h"

#include <gtest/gtest.h>

#include "common/hex.h"

namespace mt::common {
namespace {

std::string unhex(const char* h) {
    return from_hex(h).value();
}

struct Vector {
    std::string key;
    std::string data;
    const char* mac;
    std::size_t truncate = 32;
};

// RFC 4231 section 4, test cases 1 to 7.
TEST(HmacSha256, Rfc4231Vectors) {
    const std::string key131(131, '\xaa');
    const Vector vectors[] = {
        {std::string(20, '\x0b'), "Hi There",
         "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
        {"Jefe", "what do ya want for nothing?",
         "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
        {std::string(20, '\xaa'), std::string(50, '\xdd'),
         "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"},
        {unhex("0102030405060708090a0b0c0d0e0f10111213141516171819"), std::string(50, '\xcd'),
         "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"},
        {std::string(20, '\x0c'), "Test With Truncation", "a3b6167473100ee06e0c796c2955552b", 16},
        {key131, "Test Using Larger Than Block-Size Key - Hash Key First",
         "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
        {key131,
         "This is a test using a larger than block-size key and a larger than block-size data. "
         "The key needs to be hashed before being used by the HMAC algorithm.",
         "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"},
    };
    for (const auto& v : vectors) {
        const auto mac = HmacSha256::mac(v.key, v.data);
        EXPECT_EQ(to_hex(std::string_view(reinterpret_cast<const char*>(mac.data()), v.truncate)),
                  v.mac);
    }
}

TEST(HmacSha256, StreamingAndResetMatchOneShot) {
    HmacSha256 h("Jefe");
    h.update("what do ya want ");
    h.update("for nothing?");
    EXPECT_EQ(to_hex(h.finish()),
              "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    h.update("what do ya want for nothing?");  // same key, new message
    EXPECT_EQ(to_hex(h.finish()),
              "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(HmacSha256, EmptyKeyIsAllowed) {
    // HMAC-SHA256 with an empty key and empty message (well-known value).
    EXPECT_EQ(to_hex(HmacSha256::mac("", "")),
              "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}

TEST(HmacSha256, ConstantTimeEqual) {
    EXPECT_TRUE(constant_time_equal("abc", "abc"));
    EXPECT_FALSE(constant_time_equal("abc", "abd"));
    EXPECT_FALSE(constant_time_equal("abc", "ab"));
}

}  // namespace
}  // namespace mt::common
