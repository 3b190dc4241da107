#include "common/json_value.h"

#include <charconv>
#include <cstdio>

namespace mt::common {

// Written out: clang 14 crashes on a defaulted == for this recursive type.
bool JsonValue::operator==(const JsonValue& o) const {
    if (type != o.type || boolean != o.boolean || number != o.number || integral != o.integral ||
        integer != o.integer || string != o.string || items.size() != o.items.size() ||
        members.size() != o.members.size())
        return false;
    for (std::size_t i = 0; i < items.size(); ++i)
        if (!(items[i] == o.items[i])) return false;
    for (std::size_t i = 0; i < members.size(); ++i)
        if (members[i].key != o.members[i].key || !(members[i].value == o.members[i].value))
            return false;
    return true;
}

const JsonValue* JsonValue::find(std::string_view key) const {
    if (type != Type::object) return nullptr;
    for (const auto& m : members)
        if (m.key == key) return &m.value;
    return nullptr;
}

namespace {

class Parser {
  public:
    Parser(std::string_view text, const JsonLimits& limits) : s_(text), limits_(limits) {}

    Result<JsonValue> run() {
        JsonValue v;
        if (!value(v, 0)) return fail();
        skip_ws();
        if (pos_ != s_.size()) return fail("trailing bytes after the value");
        return v;
    }

  private:
    Error fail(const char* why = nullptr) {
        if (why && !why_) why_ = why;
        return make_error(Errc::parse_error,
                          std::string("invalid JSON at byte ") + std::to_string(pos_) + ": " +
                              (why_ ? why_ : "unexpected input"),
                          pos_);
    }
    bool error(const char* why) {
        if (!why_) why_ = why;
        return false;
    }
    void skip_ws() {
        while (pos_ < s_.size() &&
               (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r'))
            ++pos_;
    }
    bool literal(std::string_view word) {
        if (s_.substr(pos_, word.size()) != word) return error("unknown literal");
        pos_ += word.size();
        return true;
    }

    bool value(JsonValue& v, std::size_t depth) {
        if (depth > limits_.max_depth) return error("nested too deeply");
        if (++values_ > limits_.max_values) return error("too many values");
        skip_ws();
        if (pos_ >= s_.size()) return error("unexpected end");
        switch (s_[pos_]) {
            case '{':
                return object(v, depth);
            case '[':
                return array(v, depth);
            case '"':
                v.type = JsonValue::Type::string;
                return string(v.string);
            case 't':
                v.type = JsonValue::Type::boolean;
                v.boolean = true;
                return literal("true");
            case 'f':
                v.type = JsonValue::Type::boolean;
                return literal("false");
            case 'n':
                return literal("null");
            default:
                return number(v);
        }
    }

    bool object(JsonValue& v, std::size_t depth) {
        v.type = JsonValue::Type::object;
        ++pos_;  // {
        skip_ws();
        if (pos_ < s_.size() && s_[pos_] == '}') return ++pos_, true;
        while (true) {
            skip_ws();
            if (pos_ >= s_.size() || s_[pos_] != '"') return error("expected a key");
            JsonMember m;
            if (!string(m.key)) return false;
            skip_ws();
            if (pos_ >= s_.size() || s_[pos_] != ':') return error("expected ':'");
            ++pos_;
            if (!value(m.value, depth + 1)) return false;
            v.members.push_back(std::move(m));
            skip_ws();
            if (pos_ < s_.size() && s_[pos_] == ',') {
                ++pos_;
                continue;
            }
            if (pos_ < s_.size() && s_[pos_] == '}') return ++pos_, true;
            return error("expected ',' or '}'");
        }
    }

    bool array(JsonValue& v, std::size_t depth) {
        v.type = JsonValue::Type::array;
        ++pos_;  // [
        skip_ws();
        if (pos_ < s_.size() && s_[pos_] == ']') return ++pos_, true;
        while (true) {
            JsonValue item;
            if (!value(item, depth + 1)) return false;
            v.items.push_back(std::move(item));
            skip_ws();
            if (pos_ < s_.size() && s_[pos_] == ',') {
                ++pos_;
                continue;
            }
            if (pos_ < s_.size() && s_[pos_] == ']') return ++pos_, true;
            return error("expected ',' or ']'");
        }
    }

    bool hex4(std::uint32_t& out) {
        if (s_.size() - pos_ < 4) return error("short \\u escape");
        out = 0;
        for (int i = 0; i < 4; ++i) {
            const char c = s_[pos_++];
            out <<= 4;
            if (c >= '0' && c <= '9')
                out |= static_cast<std::uint32_t>(c - '0');
            else if (c >= 'a' && c <= 'f')
                out |= static_cast<std::uint32_t>(c - 'a' + 10);
            else if (c >= 'A' && c <= 'F')
                out |= static_cast<std::uint32_t>(c - 'A' + 10);
            else
                return error("bad hex digit in \\u escape");
        }
        return true;
    }

    static void put_utf8(std::string& out, std::uint32_t cp) {
        if (cp < 0x80) {
            out += static_cast<char>(cp);
        } else if (cp < 0x800) {
            out += static_cast<char>(0xC0 | (cp >> 6));
            out += static_cast<char>(0x80 | (cp & 0x3F));
        } else if (cp < 0x10000) {
            out += static_cast<char>(0xE0 | (cp >> 12));
            out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (cp & 0x3F));
        } else {
            out += static_cast<char>(0xF0 | (cp >> 18));
            out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
            out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (cp & 0x3F));
        }
    }

    // After "\u": one code point, a surrogate pair joined.
    bool unicode(std::string& out) {
        std::uint32_t cp = 0;
        if (!hex4(cp)) return false;
        if (cp >= 0xDC00 && cp <= 0xDFFF) return error("lone low surrogate");
        if (cp >= 0xD800 && cp <= 0xDBFF) {
            if (s_.substr(pos_, 2) != "\\u") return error("lone high surrogate");
            pos_ += 2;
            std::uint32_t lo = 0;
            if (!hex4(lo)) return false;
            if (lo < 0xDC00 || lo > 0xDFFF) return error("high surrogate without a low one");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        }
        put_utf8(out, cp);
        return true;
    }

    bool escape(std::string& out) {
        if (pos_ >= s_.size()) return error("unterminated string");
        const char c = s_[pos_++];
        switch (c) {
            case '"':
            case '\\':
            case '/':
                out += c;
                return true;
            case 'b':
                out += '\b';
                return true;
            case 'f':
                out += '\f';
                return true;
            case 'n':
                out += '\n';
                return true;
            case 'r':
                out += '\r';
                return true;
            case 't':
                out += '\t';
                return true;
            case 'u':
                return unicode(out);
            default:
                return error("bad escape");
        }
    }

    bool string(std::string& out) {
        ++pos_;  // "
        while (pos_ < s_.size()) {
            const auto c = static_cast<unsigned char>(s_[pos_++]);
            if (c == '"') return true;
            if (c < 0x20) return error("control byte in a string");
            if (c == '\\') {
                if (!escape(out)) return false;
            } else {
                out += static_cast<char>(c);
            }
        }
        return error("unterminated string");
    }

    std::size_t digits() {
        const std::size_t start = pos_;
        while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9')
            ++pos_;
        return pos_ - start;
    }

    bool number(JsonValue& v) {
        const std::size_t start = pos_;
        if (s_[pos_] == '-') ++pos_;
        const std::size_t int_start = pos_;
        const std::size_t n = digits();
        if (n == 0) return error("unexpected character");
        if (n > 1 && s_[int_start] == '0') return error("leading zero");
        bool integral = true;
        if (pos_ < s_.size() && s_[pos_] == '.') {
            ++pos_;
            integral = false;
            if (digits() == 0) return error("no digits after '.'");
        }
        if (pos_ < s_.size() && (s_[pos_] == 'e' || s_[pos_] == 'E')) {
            ++pos_;
            integral = false;
            if (pos_ < s_.size() && (s_[pos_] == '+' || s_[pos_] == '-')) ++pos_;
            if (digits() == 0) return error("no digits in the exponent");
        }
        const char* first = s_.data() + start;
        const char* last = s_.data() + pos_;
        v.type = JsonValue::Type::number;
        auto [p, ec] = std::from_chars(first, last, v.number);
        if (ec != std::errc() || p != last) return error("number out of range");
        if (integral) {
            auto [q, ec2] = std::from_chars(first, last, v.integer);
            v.integral = ec2 == std::errc() && q == last;
            if (!v.integral) v.integer = 0;
        }
        return true;
    }

    std::string_view s_;
    const JsonLimits& limits_;
    std::size_t pos_ = 0;
    std::size_t values_ = 0;
    const char* why_ = nullptr;
};

void write(const JsonValue& v, std::string& out);

void write_string(std::string_view s, std::string& out) {
    out += '"';
    for (const char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += ch;
        } else if (c < 0x20) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", c);
            out += buf;
        } else {
            out += ch;
        }
    }
    out += '"';
}

void write(const JsonValue& v, std::string& out) {
    switch (v.type) {
        case JsonValue::Type::null:
            out += "null";
            return;
        case JsonValue::Type::boolean:
            out += v.boolean ? "true" : "false";
            return;
        case JsonValue::Type::number: {
            if (v.integral) {
                out += std::to_string(v.integer);
                return;
            }
            char buf[40];
            std::snprintf(buf, sizeof buf, "%.17g", v.number);
            out += buf;
            // "%.17g" may print an integer ("1e+20" or "3"): mark it as a
            // fraction so that it reads back as not integral.
            if (std::string_view(buf).find_first_of(".eEn") == std::string_view::npos) out += ".0";
            return;
        }
        case JsonValue::Type::string:
            write_string(v.string, out);
            return;
        case JsonValue::Type::array:
            out += '[';
            for (std::size_t i = 0; i < v.items.size(); ++i) {
                if (i) out += ',';
                write(v.items[i], out);
            }
            out += ']';
            return;
        case JsonValue::Type::object:
            out += '{';
            for (std::size_t i = 0; i < v.members.size(); ++i) {
                if (i) out += ',';
                write_string(v.members[i].key, out);
                out += ':';
                write(v.members[i].value, out);
            }
            out += '}';
            return;
    }
}

}  // namespace

Result<JsonValue> parse_json(std::string_view text, const JsonLimits& limits) {
    if (text.size() > limits.max_bytes)
        return make_error(Errc::parse_error, "JSON text of " + std::to_string(text.size()) +
                                                 " bytes is over the limit of " +
                                                 std::to_string(limits.max_bytes));
    return Parser(text, limits).run();
}

std::string to_json(const JsonValue& v) {
    std::string out;
    write(v, out);
    return out;
}

}  // namespace mt::common
