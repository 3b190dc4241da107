// What bench/tracker_load reads in an HTTP reply head.
#pragma once

#include <cctype>
#include <string_view>

namespace mt::bench {

// The value of header `name` (lower case) in a reply head ("HTTP/1.1 200
// OK\r\nName: value\r\n..."), without leading spaces; empty if absent.
inline std::string_view header_value(std::string_view head, std::string_view name) {
    std::size_t p = 0;
    while ((p = head.find("\r\n", p)) != std::string_view::npos) {
        p += 2;
        if (head.size() - p < name.size() + 1) break;
        bool match = true;
        for (std::size_t i = 0; i < name.size() && match; ++i)
            match = std::tolower(static_cast<unsigned char>(head[p + i])) == name[i];
        if (!match || head[p + name.size()] != ':') continue;
        std::size_t v = p + name.size() + 1;
        const std::size_t end = head.find("\r\n", v);
        while (v < end && head[v] == ' ')
            ++v;
        return head.substr(v, end - v);
    }
    return {};
}

}  // namespace mt::bench
