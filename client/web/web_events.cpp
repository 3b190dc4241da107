#include "client/web/web_events.h"

namespace mt::client::web {

std::string sse_head(int status, std::string_view content_type,
                     const common::wire::HttpHeaders& headers) {
    std::string out = "HTTP/1.1 " + std::to_string(status) + " ";
    out += common::wire::http_reason(status);
    out += "\r\nContent-Type: ";
    out += content_type;
    out += "\r\nConnection: close\r\n";
    for (const auto& [name, value] : headers)
        out += name + ": " + value + "\r\n";
    return out + "\r\n";
}

std::string sse_event(std::string_view name, std::string_view data) {
    std::string out = "event: ";
    out += name;
    out += "\n";
    std::size_t start = 0;
    for (;;) {
        const std::size_t end = data.find_first_of("\r\n", start);
        out += "data: ";
        out += data.substr(start, end == std::string_view::npos ? end : end - start);
        out += "\n";
        if (end == std::string_view::npos) break;
        start = end + 1;
        if (data[end] == '\r' && start < data.size() && data[start] == '\n') ++start;
    }
    return out + "\n";
}

std::string sse_comment(std::string_view text) {
    std::string out = ": ";
    for (char c : text)
        out += (c == '\r' || c == '\n') ? ' ' : c;
    return out + "\n\n";
}

std::string EventStream::tick(const StreamUpdate& u, std::int64_t now_ms) {
    next_ms_ = now_ms + update_ms_;
    rid_ = u.rid;
    if (!u.json.empty()) {
        last_sent_ms_ = now_ms;
        return sse_event("sync", u.json);
    }
    if (now_ms - last_sent_ms_ >= kKeepAliveMs) {
        last_sent_ms_ = now_ms;
        return sse_comment("keep-alive");
    }
    return {};
}

}  // namespace mt::client::web
