#pragma once

namespace mt::common {
inline constexpr const char* kVersion = "0.1.0";
inline constexpr const char* kCreatedBy = "mtorrent/0.1.0";
}  // namespace mt::common
