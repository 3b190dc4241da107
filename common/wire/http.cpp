#include "common/wire/http.h"

#include <cstdint>

#include "common/ip_addr.h"

namespace mt::common::wire {

namespace {

constexpr std::size_t npos = std::string_view::npos;

bool is_token_char(char c) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
    return std::string_view("!#$%&'*+-.^_`|~").find(c) != npos;
}

bool is_token(std::string_view s) {
    if (s.empty()) return false;
    for (char c : s)
        if (!is_token_char(c)) return false;
    return true;
}

char lower(char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (lower(a[i]) != lower(b[i])) return false;
    return true;
}

std::string_view trim_ows(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
        s.remove_suffix(1);
    return s;
}

HttpError fail(int status, Errc code, std::string message) {
    return HttpError{status, make_error(code, "http: " + std::move(message))};
}

// Skips empty lines before a start line. Returns false if the buffer ends
// inside what may still be an empty line (a lone '\r').
bool skip_leading_empty_lines(const std::string& buf, std::size_t& pos) {
    while (pos < buf.size()) {
        if (buf[pos] == '\n') {
            ++pos;
        } else if (buf[pos] == '\r') {
            if (pos + 1 >= buf.size()) return false;
            if (buf[pos + 1] != '\n') return true;  // the start line will be rejected
            pos += 2;
        } else {
            return true;
        }
    }
    return true;
}

// Finds the end of the header block (one past the blank line) searching from
// `scan`; npos if incomplete, in which case `scan` is where to resume.
std::size_t find_head_end(std::string_view buf, std::size_t& scan) {
    for (std::size_t i = buf.find('\n', scan); i != npos; i = buf.find('\n', i + 1)) {
        if (i + 1 >= buf.size() || (buf[i + 1] == '\r' && i + 2 >= buf.size())) {
            scan = i;
            return npos;
        }
        if (buf[i + 1] == '\n') return i + 2;
        if (buf[i + 1] == '\r' && buf[i + 2] == '\n') return i + 3;
    }
    scan = buf.size();
    return npos;
}

// Splits `head` (start line + headers + blank line) into lines without their
// CRLF / LF. A CR anywhere else is an error.
std::optional<HttpError> split_lines(std::string_view head, std::vector<std::string_view>& lines) {
    while (!head.empty()) {
        const std::size_t nl = head.find('\n');
        std::string_view line = head.substr(0, nl);
        head.remove_prefix(nl + 1);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.find('\r') != npos) return fail(400, Errc::parse_error, "bare CR in header");
        lines.push_back(line);
    }
    if (!lines.empty() && lines.back().empty()) lines.pop_back();  // the blank line
    return std::nullopt;
}

// Parses header lines (not the start line); checks count and syntax.
std::optional<HttpError> parse_headers(const std::vector<std::string_view>& lines,
                                       std::size_t max_count, HttpHeaders& out) {
    if (lines.size() - 1 > max_count)
        return fail(431, Errc::limit_exceeded,
                    "more than " + std::to_string(max_count) + " header fields");
    for (std::size_t i = 1; i < lines.size(); ++i) {
        std::string_view line = lines[i];
        if (line.front() == ' ' || line.front() == '\t')
            return fail(400, Errc::parse_error, "obsolete line folding in header field");
        const std::size_t colon = line.find(':');
        if (colon == npos) return fail(400, Errc::parse_error, "header line without ':'");
        const std::string_view name = line.substr(0, colon);
        if (!is_token(name))
            return fail(400, Errc::parse_error,
                        "invalid header field name '" + std::string(name.substr(0, 64)) + "'");
        const std::string_view value = trim_ows(line.substr(colon + 1));
        for (char c : value) {
            const auto u = static_cast<unsigned char>(c);
            if ((u < 0x20 && c != '\t') || u == 0x7f)
                return fail(400, Errc::parse_error,
                            "control byte in header field '" + std::string(name) + "'");
        }
        std::string lname(name);
        for (char& c : lname)
            c = lower(c);
        out.emplace_back(std::move(lname), std::string(value));
    }
    return std::nullopt;
}

// Content-Length: digits only; repeated headers must agree. Transfer-Encoding
// is refused. `len` stays nullopt when there is no Content-Length.
std::optional<HttpError> body_length(const HttpHeaders& headers, std::size_t max_body,
                                     std::optional<std::size_t>& len) {
    for (const auto& [name, value] : headers) {
        if (name == "transfer-encoding")
            return fail(501, Errc::unsupported,
                        "Transfer-Encoding '" + value.substr(0, 64) + "' is not supported");
        if (name != "content-length") continue;
        if (value.empty() || value.size() > 19)
            return fail(value.empty() ? 400 : 413,
                        value.empty() ? Errc::parse_error : Errc::limit_exceeded,
                        "Content-Length '" + value.substr(0, 32) + "' is not a valid length");
        std::uint64_t n = 0;
        for (char c : value) {
            if (c < '0' || c > '9')
                return fail(400, Errc::parse_error,
                            "Content-Length '" + value.substr(0, 32) + "' is not a number");
            n = n * 10 + static_cast<std::uint64_t>(c - '0');
        }
        if (len && *len != n) return fail(400, Errc::parse_error, "conflicting Content-Length");
        if (n > max_body)
            return fail(413, Errc::limit_exceeded,
                        "body of " + std::to_string(n) + " bytes is over the limit of " +
                            std::to_string(max_body));
        len = static_cast<std::size_t>(n);
    }
    return std::nullopt;
}

// "HTTP/1.x" -> x; 400 for a malformed version, 505 for an unsupported one.
std::optional<HttpError> parse_version(std::string_view v, int& minor) {
    if (v.size() != 8 || v.substr(0, 5) != "HTTP/" || v[5] < '0' || v[5] > '9' || v[6] != '.' ||
        v[7] < '0' || v[7] > '9')
        return fail(400, Errc::parse_error, "malformed HTTP version");
    if (v[5] != '1' || v[7] > '1')
        return fail(
            505, Errc::unsupported,
            "HTTP version " + std::string(v.substr(5)) + " is not supported (use 1.0 or 1.1)");
    minor = v[7] - '0';
    return std::nullopt;
}

bool connection_has(const HttpHeaders& headers, std::string_view token) {
    for (const auto& [name, value] : headers) {
        if (name != "connection") continue;
        std::string_view rest = value;
        while (!rest.empty()) {
            const std::size_t comma = rest.find(',');
            if (iequals(trim_ows(rest.substr(0, comma)), token)) return true;
            if (comma == npos) break;
            rest.remove_prefix(comma + 1);
        }
    }
    return false;
}

bool keep_alive_for(int minor, const HttpHeaders& headers) {
    if (minor >= 1) return !connection_has(headers, "close");
    return connection_has(headers, "keep-alive");
}

std::optional<HttpError> parse_request_line(std::string_view line, HttpRequest& req) {
    const std::size_t sp1 = line.find(' ');
    const std::size_t sp2 = sp1 == npos ? npos : line.find(' ', sp1 + 1);
    if (sp2 == npos || line.find(' ', sp2 + 1) != npos)
        return fail(400, Errc::parse_error, "malformed request line");
    const std::string_view method = line.substr(0, sp1);
    const std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
    if (!is_token(method)) return fail(400, Errc::parse_error, "invalid method");
    if (target.empty()) return fail(400, Errc::parse_error, "empty request target");
    for (char c : target)
        if (static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7f)
            return fail(400, Errc::parse_error, "invalid byte in request target");
    if (auto e = parse_version(line.substr(sp2 + 1), req.version_minor)) return e;

    std::string_view rest = target;
    if (rest.front() != '/' && rest != "*") {
        std::size_t scheme_end = rest.find("://");
        if (scheme_end == npos || !(iequals(rest.substr(0, scheme_end), "http") ||
                                    iequals(rest.substr(0, scheme_end), "https")))
            return fail(400, Errc::parse_error, "request target must start with '/'");
        rest.remove_prefix(scheme_end + 3);
        const std::size_t path_start = rest.find_first_of("/?");
        rest = path_start == npos ? std::string_view("/") : rest.substr(path_start);
    }
    const std::size_t q = rest.find('?');
    auto path = url_decode(rest.substr(0, q));
    if (!path) return fail(400, Errc::parse_error, "request path: " + path.error().message);
    req.method = std::string(method);
    req.target = std::string(target);
    req.path = path->empty() ? "/" : std::move(*path);
    req.query = q == npos ? std::string() : std::string(rest.substr(q + 1));
    return std::nullopt;
}

std::optional<HttpError> parse_status_line(std::string_view line, HttpResponse& resp) {
    const std::size_t sp = line.find(' ');
    if (sp == npos) return fail(0, Errc::parse_error, "malformed status line");
    if (auto e = parse_version(line.substr(0, sp), resp.version_minor)) return e;
    const std::string_view rest = line.substr(sp + 1);
    if (rest.size() < 3 || (rest.size() > 3 && rest[3] != ' '))
        return fail(0, Errc::parse_error, "malformed status code");
    int status = 0;
    for (std::size_t i = 0; i < 3; ++i) {
        if (rest[i] < '0' || rest[i] > '9')
            return fail(0, Errc::parse_error, "malformed status code");
        status = status * 10 + (rest[i] - '0');
    }
    if (status < 100) return fail(0, Errc::parse_error, "status code below 100");
    resp.status = status;
    resp.reason = rest.size() > 4 ? std::string(rest.substr(4)) : std::string();
    return std::nullopt;
}

void compact(std::string& buf, std::size_t& pos, std::size_t& scan, std::size_t& body_start) {
    if (pos == 0 || pos < buf.size() / 2) return;
    buf.erase(0, pos);
    scan = scan > pos ? scan - pos : 0;
    body_start = body_start > pos ? body_start - pos : 0;
    pos = 0;
}

}  // namespace

const std::string* find_header(const HttpHeaders& headers, std::string_view name) {
    for (const auto& [n, v] : headers)
        if (n == name) return &v;
    return nullptr;
}

bool HttpRequest::keep_alive() const {
    return keep_alive_for(version_minor, headers);
}
bool HttpResponse::keep_alive() const {
    return keep_alive_for(version_minor, headers);
}

// ---- Request parser ----------------------------------------------------------

void HttpRequestParser::feed(std::string_view bytes) {
    buf_.append(bytes);
}

HttpRequestStep HttpRequestParser::next() {
    if (error_) return *error_;
    if (!pending_) {
        if (!skip_leading_empty_lines(buf_, pos_)) return NeedMore{};
        if (scan_ < pos_) scan_ = pos_;
        const std::string_view all(buf_);
        const std::size_t end = find_head_end(all, scan_);
        const std::size_t head_len = (end == npos ? buf_.size() : end) - pos_;
        if (head_len > limits_.max_header_bytes) {
            const std::size_t nl = all.find('\n', pos_);
            const bool line_too_long = nl == npos || nl - pos_ > limits_.max_header_bytes;
            error_ =
                fail(line_too_long ? 414 : 431, Errc::limit_exceeded,
                     std::string(line_too_long ? "request line" : "request head") +
                         " longer than " + std::to_string(limits_.max_header_bytes) + " bytes");
            return *error_;
        }
        if (end == npos) return NeedMore{};

        std::vector<std::string_view> lines;
        HttpRequest req;
        std::optional<std::size_t> len;
        if (auto e = split_lines(all.substr(pos_, end - pos_), lines)) error_ = std::move(e);
        if (!error_ && lines.empty()) error_ = fail(400, Errc::parse_error, "empty request");
        if (!error_) error_ = parse_request_line(lines[0], req);
        if (!error_) error_ = parse_headers(lines, limits_.max_header_count, req.headers);
        if (!error_) error_ = body_length(req.headers, limits_.max_body_bytes, len);
        if (error_) return *error_;
        pending_ = std::move(req);
        body_start_ = end;
        body_len_ = len.value_or(0);
    }
    if (buf_.size() - body_start_ < body_len_) return NeedMore{};
    HttpRequest out = std::move(*pending_);
    pending_.reset();
    out.body.assign(buf_, body_start_, body_len_);
    pos_ = body_start_ + body_len_;
    scan_ = pos_;
    compact(buf_, pos_, scan_, body_start_);
    return out;
}

// ---- Response parser ---------------------------------------------------------

void HttpResponseParser::feed(std::string_view bytes) {
    buf_.append(bytes);
}

HttpResponseStep HttpResponseParser::next() {
    if (error_) return *error_;
    if (!pending_) {
        if (!skip_leading_empty_lines(buf_, pos_) && !eof_) return NeedMore{};
        if (scan_ < pos_) scan_ = pos_;
        const std::string_view all(buf_);
        const std::size_t end = find_head_end(all, scan_);
        if ((end == npos ? buf_.size() : end) - pos_ > limits_.max_header_bytes) {
            error_ = make_error(Errc::limit_exceeded, "http: response head longer than " +
                                                          std::to_string(limits_.max_header_bytes) +
                                                          " bytes");
            return *error_;
        }
        if (end == npos) {
            if (!eof_) return NeedMore{};
            error_ = make_error(Errc::closed, buf_.size() == pos_
                                                  ? "http: connection closed before a response"
                                                  : "http: connection closed inside the "
                                                    "response head");
            return *error_;
        }
        std::vector<std::string_view> lines;
        HttpResponse resp;
        std::optional<HttpError> e = split_lines(all.substr(pos_, end - pos_), lines);
        if (!e && lines.empty()) e = fail(0, Errc::parse_error, "empty response");
        if (!e) e = parse_status_line(lines[0], resp);
        if (!e) e = parse_headers(lines, limits_.max_header_count, resp.headers);
        std::optional<std::size_t> len;
        if (!e) e = body_length(resp.headers, limits_.max_body_bytes, len);
        if (e) {
            error_ = std::move(e->error);
            return *error_;
        }
        if (resp.status < 200 || resp.status == 204 || resp.status == 304) len = 0;
        pending_ = std::move(resp);
        body_start_ = end;
        body_len_ = len;
    }
    const std::size_t have = buf_.size() - body_start_;
    std::size_t take = 0;
    if (body_len_) {
        if (have < *body_len_) {
            if (!eof_) return NeedMore{};
            error_ =
                make_error(Errc::closed, "http: connection closed after " + std::to_string(have) +
                                             " of " + std::to_string(*body_len_) + " body bytes");
            return *error_;
        }
        take = *body_len_;
    } else {
        if (have > limits_.max_body_bytes) {
            error_ = make_error(Errc::limit_exceeded, "http: response body over the limit of " +
                                                          std::to_string(limits_.max_body_bytes) +
                                                          " bytes");
            return *error_;
        }
        if (!eof_) return NeedMore{};
        take = have;
    }
    HttpResponse out = std::move(*pending_);
    pending_.reset();
    out.body.assign(buf_, body_start_, take);
    pos_ = body_start_ + take;
    scan_ = pos_;
    compact(buf_, pos_, scan_, body_start_);
    return out;
}

// ---- Building messages -------------------------------------------------------

std::string_view http_reason(int status) {
    switch (status) {
        case 100:
            return "Continue";
        case 200:
            return "OK";
        case 204:
            return "No Content";
        case 301:
            return "Moved Permanently";
        case 302:
            return "Found";
        case 304:
            return "Not Modified";
        case 400:
            return "Bad Request";
        case 401:
            return "Unauthorized";
        case 403:
            return "Forbidden";
        case 404:
            return "Not Found";
        case 405:
            return "Method Not Allowed";
        case 408:
            return "Request Timeout";
        case 409:
            return "Conflict";
        case 411:
            return "Length Required";
        case 413:
            return "Content Too Large";
        case 414:
            return "URI Too Long";
        case 429:
            return "Too Many Requests";
        case 431:
            return "Request Header Fields Too Large";
        case 500:
            return "Internal Server Error";
        case 501:
            return "Not Implemented";
        case 502:
            return "Bad Gateway";
        case 503:
            return "Service Unavailable";
        case 504:
            return "Gateway Timeout";
        case 505:
            return "HTTP Version Not Supported";
        default:
            return "Unknown";
    }
}

std::string http_response(int status, std::string_view content_type, std::string_view body,
                          bool keep_alive, const HttpHeaders& extra_headers) {
    std::string out = "HTTP/1.1 " + std::to_string(status) + " ";
    out += http_reason(status);
    out += "\r\n";
    if (!content_type.empty()) {
        out += "Content-Type: ";
        out += content_type;
        out += "\r\n";
    }
    out += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    out += keep_alive ? "Connection: keep-alive\r\n" : "Connection: close\r\n";
    for (const auto& [name, value] : extra_headers)
        out += name + ": " + value + "\r\n";
    out += "\r\n";
    out += body;
    return out;
}

std::string http_get_request(std::string_view host, std::string_view target, bool keep_alive) {
    std::string out = "GET ";
    out += target;
    out += " HTTP/1.1\r\nHost: ";
    // An IPv6 literal goes in brackets; "host:port" stays as it is.
    const bool v6 = host.find(':') != std::string_view::npos && IpAddr::parse(host);
    if (v6) out += '[';
    out += host;
    if (v6) out += ']';
    out += "\r\n";
    if (!keep_alive) out += "Connection: close\r\n";
    out += "\r\n";
    return out;
}

}  // namespace mt::common::wire
