#include "common/wire/extension.h"

#include <limits>

#include "common/bencode.h"

namespace mt::common::wire {

namespace {

using bencode::Value;

constexpr std::size_t kMaxDepth = 16;
constexpr std::size_t kMaxTokens = 10000;
constexpr std::size_t kMaxClientName = 64;

bencode::Limits limits() {
    bencode::Limits l;
    l.max_depth = kMaxDepth;
    l.max_tokens = kMaxTokens;
    l.max_string_length = kMaxMetadataSize;
    return l;
}

Error parse_err(const char* what, std::string why) {
    return make_error(Errc::parse_error, std::string(what) + ": " + why);
}

// Length of the bencoded value at the start of `in` (a ut_metadata data
// message has raw bytes after its dictionary). Only finds the end: the strict
// decoder checks the value afterwards. Errors: parse_error when the input
// ends inside the value or a byte cannot start one; limit_exceeded past the
// depth or token limits.
Result<std::size_t> value_end(std::string_view in) {
    std::size_t pos = 0, depth = 0, tokens = 0;
    do {
        if (pos >= in.size()) return parse_err("ut_metadata", "dictionary is truncated");
        if (++tokens > kMaxTokens)
            return make_error(Errc::limit_exceeded, "ut_metadata: more than 10000 values");
        const char c = in[pos];
        if (c == 'e') {
            if (depth == 0) return parse_err("ut_metadata", "unexpected 'e'");
            --depth;
            ++pos;
        } else if (c == 'l' || c == 'd') {
            if (++depth > kMaxDepth)
                return make_error(Errc::limit_exceeded, "ut_metadata: nested deeper than 16");
            ++pos;
        } else if (c == 'i') {
            const std::size_t e = in.find('e', pos);
            if (e == std::string_view::npos)
                return parse_err("ut_metadata", "integer is truncated");
            pos = e + 1;
        } else if (c >= '0' && c <= '9') {
            std::uint64_t len = 0;
            std::size_t digits = 0;
            while (pos < in.size() && in[pos] >= '0' && in[pos] <= '9') {
                if (++digits > 10) return parse_err("ut_metadata", "string length is too long");
                len = len * 10 + static_cast<std::uint64_t>(in[pos] - '0');
                ++pos;
            }
            if (pos >= in.size() || in[pos] != ':')
                return parse_err("ut_metadata", "string length without ':'");
            ++pos;
            if (len > in.size() - pos) return parse_err("ut_metadata", "string is truncated");
            pos += static_cast<std::size_t>(len);
        } else {
            return parse_err("ut_metadata",
                             "byte " + std::to_string(pos) + " cannot start a value");
        }
    } while (depth > 0);
    return pos;
}

// An integer field: nullptr when absent, an error when not an integer.
Result<const Value*> int_field(const Value& dict, std::string_view key, const char* where) {
    const Value* v = dict.find(key);
    if (v != nullptr && !v->is_int())
        return parse_err(where, "'" + std::string(key) + "' must be an integer, found " +
                                    bencode::type_name(v->type()));
    return v;
}

}  // namespace

std::uint8_t ExtHandshake::ut_metadata() const {
    auto it = m.find(std::string(kUtMetadata));
    return it == m.end() ? 0 : it->second;
}

void encode(const ExtHandshake& h, std::string& out) {
    bencode::Item::Dict d;
    bencode::Item::Dict m;
    for (const auto& [name, id] : h.m)
        m[name] = std::int64_t{id};
    d["m"] = std::move(m);
    if (h.metadata_size) d["metadata_size"] = std::int64_t{*h.metadata_size};
    if (h.port) d["p"] = std::int64_t{*h.port};
    if (h.reqq) d["reqq"] = std::int64_t{*h.reqq};
    if (!h.client.empty()) d["v"] = h.client;
    bencode::encode(bencode::Item(std::move(d)), out);
}

Result<ExtHandshake> decode_ext_handshake(std::string_view payload) {
    constexpr const char* where = "extension handshake";
    auto root = bencode::decode(payload, limits());
    if (!root)
        return make_error(Errc::parse_error, std::string(where) + ": " + root.error().message,
                          root.error().offset);
    if (!root->is_dict()) return parse_err(where, "not a dictionary");
    ExtHandshake h;
    if (const Value* m = root->find("m")) {
        if (!m->is_dict()) return parse_err(where, "'m' must be a dictionary");
        for (std::size_t i = 0; i < m->keys().size(); ++i) {
            const Value& id = m->items()[i];
            const bool valid = id.is_int() && id.as_int() >= 0 && id.as_int() <= 255;
            if (m->keys()[i] == kUtMetadata && !valid)
                return parse_err(where, "m.ut_metadata must be an integer from 0 to 255");
            if (valid) h.m[std::string(m->keys()[i])] = static_cast<std::uint8_t>(id.as_int());
        }
    }
    auto size = int_field(*root, "metadata_size", where);
    if (!size) return size.error();
    if (*size) {
        const std::int64_t n = (*size)->as_int();
        if (n < 1) return parse_err(where, "metadata_size " + std::to_string(n) + " is below 1");
        if (n > std::int64_t{kMaxMetadataSize})
            return make_error(Errc::limit_exceeded,
                              std::string(where) + ": metadata_size " + std::to_string(n) +
                                  " is over the limit of " + std::to_string(kMaxMetadataSize));
        h.metadata_size = static_cast<std::uint32_t>(n);
    }
    auto port = int_field(*root, "p", where);
    if (!port) return port.error();
    if (*port) {
        const std::int64_t n = (*port)->as_int();
        if (n < 0 || n > 65535)
            return parse_err(where, "p " + std::to_string(n) + " is not a port number");
        if (n > 0) h.port = static_cast<std::uint16_t>(n);
    }
    auto reqq = int_field(*root, "reqq", where);
    if (!reqq) return reqq.error();
    if (*reqq) {
        const std::int64_t n = (*reqq)->as_int();
        if (n < 1) return parse_err(where, "reqq " + std::to_string(n) + " is below 1");
        h.reqq = static_cast<std::uint32_t>(
            std::min<std::int64_t>(n, std::numeric_limits<std::int32_t>::max()));
    }
    if (const Value* v = root->find("v")) {
        if (!v->is_string()) return parse_err(where, "'v' must be a string");
        h.client = std::string(v->as_string().substr(0, kMaxClientName));
    }
    return h;
}

void encode(const MetadataMsg& m, std::string& out) {
    bencode::Item::Dict d;
    d["msg_type"] = std::int64_t{static_cast<std::uint8_t>(m.type)};
    d["piece"] = std::int64_t{m.piece};
    if (m.type == MetadataMsgType::data) d["total_size"] = std::int64_t{m.total_size};
    bencode::encode(bencode::Item(std::move(d)), out);
    if (m.type == MetadataMsgType::data) out += m.data;
}

Result<MetadataMsg> decode_metadata_msg(std::string_view payload) {
    constexpr const char* where = "ut_metadata";
    auto end = value_end(payload);
    if (!end) return end.error();
    auto root = bencode::decode(payload.substr(0, *end), limits());
    if (!root)
        return make_error(Errc::parse_error, std::string(where) + ": " + root.error().message,
                          root.error().offset);
    if (!root->is_dict()) return parse_err(where, "message is not a dictionary");
    auto type = int_field(*root, "msg_type", where);
    if (!type) return type.error();
    if (!*type) return parse_err(where, "msg_type is missing");
    const std::int64_t t = (*type)->as_int();
    if (t < 0 || t > 2)
        return make_error(Errc::unsupported,
                          std::string(where) + ": unknown msg_type " + std::to_string(t));
    auto piece = int_field(*root, "piece", where);
    if (!piece) return piece.error();
    if (!*piece) return parse_err(where, "piece is missing");
    const std::int64_t p = (*piece)->as_int();
    if (p < 0 || p >= std::int64_t{kMaxMetadataPieces})
        return make_error(Errc::limit_exceeded, std::string(where) + ": piece " +
                                                    std::to_string(p) + " is not in 0.." +
                                                    std::to_string(kMaxMetadataPieces - 1));
    MetadataMsg m;
    m.type = static_cast<MetadataMsgType>(t);
    m.piece = static_cast<std::uint32_t>(p);
    const std::string_view rest = payload.substr(*end);
    if (m.type != MetadataMsgType::data) {
        if (!rest.empty())
            return parse_err(where, std::to_string(rest.size()) +
                                        " bytes after the dictionary of a request or reject");
        return m;
    }
    auto total = int_field(*root, "total_size", where);
    if (!total) return total.error();
    if (!*total) return parse_err(where, "data message without total_size");
    const std::int64_t n = (*total)->as_int();
    if (n < 1 || n > std::int64_t{kMaxMetadataSize})
        return make_error(Errc::limit_exceeded, std::string(where) + ": total_size " +
                                                    std::to_string(n) + " is not in 1.." +
                                                    std::to_string(kMaxMetadataSize));
    if (rest.empty()) return parse_err(where, "data message without data");
    if (rest.size() > kMetadataPieceSize)
        return make_error(Errc::limit_exceeded, std::string(where) + ": data piece of " +
                                                    std::to_string(rest.size()) +
                                                    " bytes is over 16 KiB");
    m.total_size = static_cast<std::uint32_t>(n);
    m.data = std::string(rest);
    return m;
}

std::uint32_t metadata_piece_count(std::uint32_t size) {
    return size / kMetadataPieceSize + (size % kMetadataPieceSize != 0);
}

std::uint32_t metadata_piece_size(std::uint32_t size, std::uint32_t piece) {
    const std::uint64_t start = std::uint64_t{piece} * kMetadataPieceSize;
    if (start >= size) return 0;
    return static_cast<std::uint32_t>(std::min<std::uint64_t>(kMetadataPieceSize, size - start));
}

Status check_metadata_data(const MetadataMsg& m, std::uint32_t size) {
    constexpr const char* where = "ut_metadata";
    if (m.type != MetadataMsgType::data) return parse_err(where, "not a data message");
    if (size == 0) return parse_err(where, "metadata_size is 0");
    if (m.total_size != size)
        return parse_err(where, "total_size " + std::to_string(m.total_size) +
                                    " differs from metadata_size " + std::to_string(size));
    const std::uint32_t want = metadata_piece_size(size, m.piece);
    if (want == 0)
        return parse_err(where, "piece " + std::to_string(m.piece) + " is past the last piece " +
                                    std::to_string(metadata_piece_count(size) - 1));
    if (m.data.size() != want)
        return parse_err(where, "piece " + std::to_string(m.piece) + " has " +
                                    std::to_string(m.data.size()) + " bytes, expected " +
                                    std::to_string(want));
    return {};
}

}  // namespace mt::common::wire
