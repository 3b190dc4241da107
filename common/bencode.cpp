#include "common/bencode.h"

#include <algorithm>
#include <charconv>
#include <limits>

namespace mt::common::bencode {

const Value* Value::find(std::string_view key) const {
    if (type_ != Type::dict) return nullptr;
    auto it = std::lower_bound(keys_.begin(), keys_.end(), key);
    if (it == keys_.end() || *it != key) return nullptr;
    return &items_[static_cast<std::size_t>(it - keys_.begin())];
}

const char* type_name(Value::Type t) {
    switch (t) {
        case Value::Type::integer:
            return "an integer";
        case Value::Type::string:
            return "a string";
        case Value::Type::list:
            return "a list";
        case Value::Type::dict:
            return "a dictionary";
    }
    return "a value";
}

// Recursive descent; recursion depth is bounded by Limits::max_depth.
class Parser {
  public:
    Parser(std::string_view in, const Limits& limits) : in_(in), limits_(limits) {}

    Result<Value> parse_document() {
        Value root;
        if (!parse_value(root, 0)) return std::move(error_);
        // Lenient: what follows the value is not read (libtorrent and
        // Transmission stop there too; a newline is common).
        if (pos_ != in_.size()) {
            if (limits_.canonical) fail("trailing bytes after the value", pos_);
            relaxed_ = true;
        }
        if (failed_) return std::move(error_);
        return root;
    }
    // A lenient decode accepted something the canonical form does not allow.
    bool relaxed() const { return relaxed_; }

  private:
    bool fail(const std::string& what, std::size_t at) {
        if (!failed_) {
            failed_ = true;
            error_ = make_error(Errc::parse_error,
                                "bencode: " + what + " at offset " + std::to_string(at), at);
        }
        return false;
    }

    bool at_end() const { return pos_ >= in_.size(); }

    bool parse_value(Value& out, std::size_t depth) {
        if (at_end()) return fail("unexpected end of input", pos_);
        if (++tokens_ > limits_.max_tokens)
            return fail("more than " + std::to_string(limits_.max_tokens) + " values", pos_);
        const std::size_t start = pos_;
        out.offset_ = start;
        const char c = in_[pos_];
        bool ok = false;
        if (c == 'i') {
            ok = parse_int(out);
        } else if (c >= '0' && c <= '9') {
            out.type_ = Value::Type::string;
            ok = parse_string(out.string_);
        } else if (c == 'l' || c == 'd') {
            if (depth + 1 > limits_.max_depth)
                return fail("nesting deeper than " + std::to_string(limits_.max_depth), pos_);
            ok = c == 'l' ? parse_list(out, depth + 1) : parse_dict(out, depth + 1);
        } else {
            return fail("unexpected byte " + describe(c) + " where a value must start", pos_);
        }
        if (!ok) return false;
        out.raw_ = in_.substr(start, pos_ - start);
        return true;
    }

    static std::string describe(char c) {
        const auto u = static_cast<unsigned char>(c);
        if (u >= 0x20 && u < 0x7f) return std::string("'") + c + "'";
        static const char* hex = "0123456789abcdef";
        return std::string("0x") + hex[u >> 4] + hex[u & 15];
    }

    // i<digits>e with an optional '-', canonical only.
    bool parse_int(Value& out) {
        out.type_ = Value::Type::integer;
        ++pos_;  // 'i'
        const std::size_t digits_start = pos_;
        bool negative = false;
        if (!at_end() && in_[pos_] == '-') {
            negative = true;
            ++pos_;
        }
        const std::size_t first_digit = pos_;
        while (!at_end() && in_[pos_] >= '0' && in_[pos_] <= '9')
            ++pos_;
        if (at_end()) return fail("unexpected end of input inside an integer", pos_);
        if (in_[pos_] != 'e')
            return fail("invalid byte " + describe(in_[pos_]) + " in integer", pos_);
        const std::size_t n = pos_ - first_digit;
        if (n == 0) return fail("integer without digits", digits_start);
        if ((in_[first_digit] == '0' && n > 1) || (negative && in_[first_digit] == '0')) {
            if (limits_.canonical)
                return fail(
                    n > 1 && in_[first_digit] == '0' ? "leading zero in integer" : "negative zero",
                    n > 1 && in_[first_digit] == '0' ? first_digit : digits_start);
            relaxed_ = true;
        }
        std::int64_t v = 0;
        auto [p, ec] = std::from_chars(in_.data() + digits_start, in_.data() + pos_, v);
        if (ec != std::errc() || p != in_.data() + pos_)
            return fail("integer does not fit in 64 bits", digits_start);
        out.integer_ = v;
        ++pos_;  // 'e'
        return true;
    }

    // <len>:<bytes>
    bool parse_string(std::string_view& out) {
        const std::size_t start = pos_;
        while (!at_end() && in_[pos_] >= '0' && in_[pos_] <= '9')
            ++pos_;
        if (at_end()) return fail("unexpected end of input inside a string length", pos_);
        if (in_[pos_] != ':')
            return fail("invalid byte " + describe(in_[pos_]) + " in string length", pos_);
        const std::size_t n = pos_ - start;
        if (in_[start] == '0' && n > 1) {
            if (limits_.canonical) return fail("leading zero in string length", start);
            relaxed_ = true;
        }
        std::uint64_t len = 0;
        auto [p, ec] = std::from_chars(in_.data() + start, in_.data() + pos_, len);
        if (ec != std::errc() || p != in_.data() + pos_ || len > limits_.max_string_length)
            return fail("string length over the limit of " +
                            std::to_string(limits_.max_string_length) + " bytes",
                        start);
        ++pos_;  // ':'
        if (len > in_.size() - pos_)
            return fail("string of " + std::to_string(len) + " bytes runs past the end of input",
                        start);
        out = in_.substr(pos_, len);
        pos_ += len;
        return true;
    }

    bool parse_list(Value& out, std::size_t depth) {
        out.type_ = Value::Type::list;
        ++pos_;  // 'l'
        while (true) {
            if (at_end()) return fail("unexpected end of input inside a list", pos_);
            if (in_[pos_] == 'e') break;
            out.items_.emplace_back();
            if (!parse_value(out.items_.back(), depth)) return false;
        }
        ++pos_;
        return true;
    }

    bool parse_dict(Value& out, std::size_t depth) {
        out.type_ = Value::Type::dict;
        const std::size_t start = pos_;
        bool unsorted = false;
        ++pos_;  // 'd'
        while (true) {
            if (at_end()) return fail("unexpected end of input inside a dictionary", pos_);
            if (in_[pos_] == 'e') break;
            const std::size_t key_at = pos_;
            if (in_[pos_] < '0' || in_[pos_] > '9')
                return fail("dictionary key is not a string", key_at);
            if (++tokens_ > limits_.max_tokens)
                return fail("more than " + std::to_string(limits_.max_tokens) + " values", pos_);
            std::string_view key;
            if (!parse_string(key)) return false;
            if (!out.keys_.empty()) {
                if (key == out.keys_.back()) return fail("duplicate dictionary key", key_at);
                if (key < out.keys_.back()) {
                    if (limits_.canonical) return fail("dictionary keys not sorted", key_at);
                    unsorted = true;
                    relaxed_ = true;
                }
            }
            out.keys_.push_back(key);
            out.items_.emplace_back();
            if (!parse_value(out.items_.back(), depth)) return false;
        }
        ++pos_;
        return !unsorted || sort_dict(out, start);
    }

    // Sorts a dict that came out of order (Limits::canonical false), keys
    // and items together; a key that occurs twice is an error.
    bool sort_dict(Value& d, std::size_t start) {
        std::vector<std::size_t> order(d.keys_.size());
        for (std::size_t i = 0; i < order.size(); ++i)
            order[i] = i;
        std::stable_sort(order.begin(), order.end(),
                         [&](std::size_t a, std::size_t b) { return d.keys_[a] < d.keys_[b]; });
        std::vector<std::string_view> keys;
        std::vector<Value> items;
        keys.reserve(order.size());
        items.reserve(order.size());
        for (std::size_t i : order) {
            if (!keys.empty() && keys.back() == d.keys_[i])
                return fail("duplicate dictionary key", start);
            keys.push_back(d.keys_[i]);
            items.push_back(std::move(d.items_[i]));
        }
        d.keys_ = std::move(keys);
        d.items_ = std::move(items);
        return true;
    }

    std::string_view in_;
    const Limits& limits_;
    std::size_t pos_ = 0;
    std::size_t tokens_ = 0;
    bool failed_ = false;
    bool relaxed_ = false;
    Error error_;
};

Result<Value> decode(std::string_view input, const Limits& limits, bool* relaxed) {
    Parser p(input, limits);
    auto v = p.parse_document();
    if (relaxed) *relaxed = p.relaxed();
    return v;
}

// ---- Encoding --------------------------------------------------------------

void append_int(std::string& out, std::int64_t v) {
    char buf[24];
    auto [p, ec] = std::to_chars(buf, buf + sizeof buf, v);
    (void)ec;
    out.push_back('i');
    out.append(buf, p);
    out.push_back('e');
}

void append_string(std::string& out, std::string_view s) {
    char buf[24];
    auto [p, ec] = std::to_chars(buf, buf + sizeof buf, s.size());
    (void)ec;
    out.append(buf, p);
    out.push_back(':');
    out.append(s);
}

namespace {
struct EncodeVisitor {
    std::string& out;
    void operator()(std::int64_t i) const { append_int(out, i); }
    void operator()(const std::string& s) const { append_string(out, s); }
    void operator()(const Item::List& l) const {
        out.push_back('l');
        for (const auto& i : l)
            encode(i, out);
        out.push_back('e');
    }
    void operator()(const Item::Dict& d) const {
        out.push_back('d');
        for (const auto& [k, i] : d) {
            append_string(out, k);
            encode(i, out);
        }
        out.push_back('e');
    }
    void operator()(const Item::Raw& r) const { out.append(r.bytes); }
};
}  // namespace

void encode(const Item& item, std::string& out) {
    std::visit(EncodeVisitor{out}, item.v);
}

std::string encode(const Item& item) {
    std::string out;
    encode(item, out);
    return out;
}

}  // namespace mt::common::bencode
