#include "common/units.h"

#include <gtest/gtest.h>

namespace mt::common {
namespace {

TEST(Plural, OneAndMany) {
    EXPECT_EQ(plural(1, "file"), "1 file");
    EXPECT_EQ(plural(0, "file"), "0 files");
    EXPECT_EQ(plural(2, "entry", "entries"), "2 entries");
}

TEST(Units, HumanBytes) {
    EXPECT_EQ(human_bytes(0), "0 B");
    EXPECT_EQ(human_bytes(1023), "1023 B");
    EXPECT_EQ(human_bytes(1024), "1.00 KiB");
    EXPECT_EQ(human_bytes(512 * 1024), "512 KiB");
    EXPECT_EQ(human_bytes(64ull << 20), "64.0 MiB");
    EXPECT_EQ(human_bytes(5ull << 30), "5.00 GiB");
}

TEST(Units, Durations) {
    EXPECT_EQ(human_duration(42), "42s");
    EXPECT_EQ(human_duration(185), "3m05s");
    EXPECT_EQ(human_duration(3720), "1h02m");
    EXPECT_EQ(human_duration(-1), "--");
    EXPECT_EQ(iso8601_utc(1700000000), "2023-11-14T22:13:20Z");
}

}  // namespace
}  // namespace mt::common
