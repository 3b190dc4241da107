// HTTP/1.1 message framing for the tracker's HTTP front end and the client's
// HTTP tracker transport (RFC 9112 subset). URL escaping and query parsing are
// in url.h (included).
//
// Pure: the parsers only see bytes handed to feed(); the caller owns sockets.
//
// Request grammar accepted (CRLF line ends; a bare LF is tolerated):
//   [empty lines]                        ignored before the request line
//   METHOD SP target SP HTTP/1.x CRLF     METHOD = token, target = visible ASCII
//   (name ":" OWS value OWS CRLF)*        name = token, no space before ':'
//   CRLF
//   body                                  exactly Content-Length bytes, if any
//
// Framing errors carry the HTTP status the server should answer with, then
// close the connection (the parser stays in the error state):
//   400  malformed request line or header line, obsolete line folding, control
//        bytes in a header value, bad or conflicting Content-Length, bad %-escape
//        in the path
//   413  Content-Length above Limits::max_body_bytes
//   414  request line longer than Limits::max_header_bytes
//   431  request line + headers longer than Limits::max_header_bytes, or more
//        than Limits::max_header_count headers
//   501  Transfer-Encoding present (chunked bodies are not implemented)
//   505  HTTP version other than 1.0 / 1.1
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "common/result.h"
#include "common/wire/url.h"

namespace mt::common::wire {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;  // names lower case

// First value of header `name` (give it in lower case), or nullptr.
const std::string* find_header(const HttpHeaders& headers, std::string_view name);

struct HttpRequest {
    std::string method;     // as sent, e.g. "GET"
    std::string target;     // raw request target, e.g. "/announce?info_hash=%12..."
    std::string path;       // %-decoded path part before '?' ('+' stays '+')
    std::string query;      // raw text after the first '?', not decoded
    int version_minor = 1;  // HTTP/1.<version_minor>: 0 or 1
    HttpHeaders headers;
    std::string body;

    const std::string* find(std::string_view name) const { return find_header(headers, name); }
    // HTTP/1.1: true unless "Connection: close"; HTTP/1.0: only with
    // "Connection: keep-alive". Connection is a comma list, case-insensitive.
    bool keep_alive() const;
};

struct HttpResponse {
    int status = 0;
    std::string reason;
    int version_minor = 1;
    HttpHeaders headers;
    std::string body;

    const std::string* find(std::string_view name) const { return find_header(headers, name); }
    bool keep_alive() const;
};

struct NeedMore {};

// A framing error and the HTTP status to answer with (see the table above).
struct HttpError {
    int status = 400;
    Error error;
};

using HttpRequestStep = std::variant<NeedMore, HttpRequest, HttpError>;
using HttpResponseStep = std::variant<NeedMore, HttpResponse, Error>;

// Incremental request parser for one connection. Pipelining: every complete
// request in the buffer comes out of successive next() calls; bytes after the
// last complete request are kept for the next feed(). The buffer holds at most
// one partial request plus what the caller fed since the last NeedMore, so a
// caller that loops on next() until NeedMore after each read stays bounded.
class HttpRequestParser {
  public:
    struct Limits {
        std::size_t max_header_bytes = 8 * 1024;  // request line + headers + blank line
        std::size_t max_header_count = 64;
        std::size_t max_body_bytes = 0;  // 0: a request with a body is rejected (413)
    };

    HttpRequestParser() = default;
    explicit HttpRequestParser(const Limits& limits) : limits_(limits) {}

    void feed(std::string_view bytes);
    // NeedMore, the next complete request, or an HttpError (sticky: every later
    // call returns the same error).
    HttpRequestStep next();
    // Bytes received but not yet returned as part of a request.
    std::size_t buffered() const { return buf_.size() - pos_; }

  private:
    Limits limits_;
    std::string buf_;
    std::size_t pos_ = 0;                 // start of the message being parsed
    std::size_t scan_ = 0;                // where the search for the end of the headers resumes
    std::optional<HttpRequest> pending_;  // headers parsed, waiting for the body
    std::size_t body_start_ = 0;
    std::size_t body_len_ = 0;
    std::optional<HttpError> error_;
};

// Incremental response parser for the client side. The body is delimited by
// Content-Length, or (without it) by the end of the connection: call finish()
// at EOF, then next() returns the response. 1xx, 204 and 304 have no body.
// Errors (Errc): parse_error for a malformed status line, header or
// Content-Length; limit_exceeded over max_header_bytes / max_header_count /
// max_body_bytes; unsupported for Transfer-Encoding or a version other than
// 1.0/1.1; closed when finish() comes before the message is complete.
class HttpResponseParser {
  public:
    struct Limits {
        std::size_t max_header_bytes = 16 * 1024;
        std::size_t max_header_count = 64;
        std::size_t max_body_bytes = 4 * 1024 * 1024;
    };

    HttpResponseParser() = default;
    explicit HttpResponseParser(const Limits& limits) : limits_(limits) {}

    void feed(std::string_view bytes);
    void finish() { eof_ = true; }
    HttpResponseStep next();

  private:
    Limits limits_;
    std::string buf_;
    std::size_t pos_ = 0;
    std::size_t scan_ = 0;
    std::optional<HttpResponse> pending_;
    std::size_t body_start_ = 0;
    std::optional<std::size_t> body_len_;  // nullopt: read until the connection closes
    bool eof_ = false;
    std::optional<Error> error_;
};

// Standard reason phrase ("Not Found"); "Unknown" for codes not listed.
std::string_view http_reason(int status);

// A complete HTTP/1.1 response: status line, Content-Type (omitted when
// empty), Content-Length, Connection: keep-alive|close, the extra headers in
// order, a blank line, the body.
std::string http_response(int status, std::string_view content_type, std::string_view body,
                          bool keep_alive, const HttpHeaders& extra_headers = {});

// "GET <target> HTTP/1.1" with Host, optional Connection: close, no body.
std::string http_get_request(std::string_view host, std::string_view target, bool keep_alive);

}  // namespace mt::common::wire
