// Bencode (BEP 3): a strict, bounded decoder and an encoder.
//
// Grammar: string `<len>:<bytes>`, integer `i<n>e`, list `l...e`, dict `d...e`
// whose keys are strings sorted as raw bytes.
//
// decode() accepts only the canonical form, so that re-encoding a decoded value
// gives back the same bytes (the property the info_hash relies on). It fails,
// with the byte offset of the first offending byte, on:
//   - truncation (input ends inside a value)
//   - integers: empty, leading zeros ("i03e"), negative zero ("i-0e"),
//     non-digits, overflow of int64
//   - string lengths: leading zeros ("03:abc"), longer than the input left,
//     longer than Limits::max_string_length
//   - dicts: non-string keys, keys out of order, duplicate keys
//   - nesting deeper than Limits::max_depth, more than Limits::max_tokens values
//   - trailing bytes after the top-level value
//   - any other byte where a value must start
//
// Decoded strings are views into the input: the input must outlive the Value.
// Every Value also records raw(): the exact bytes it was decoded from.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/result.h"

namespace mt::common::bencode {

struct Limits {
    std::size_t max_depth = 100;               // nesting of lists and dicts
    std::size_t max_tokens = 2'000'000;        // values of any kind
    std::size_t max_string_length = 1u << 28;  // 256 MiB
    // false: what libtorrent and Transmission accept in files people meet
    // (torrents made by other tools), still bounded: dict keys in any order
    // (decode() sorts keys() and items() together; a duplicate key is still
    // an error), leading zeros in integers and string lengths, "i-0e", and
    // anything after the top-level value (not read). raw() stays the exact
    // input, so a hash over it (the info_hash) is the file's. Re-encoding such
    // a value does not give back its bytes. Peer and tracker messages stay
    // canonical.
    bool canonical = true;
};

class Value {
  public:
    enum class Type { integer, string, list, dict };

    Type type() const { return type_; }
    bool is_int() const { return type_ == Type::integer; }
    bool is_string() const { return type_ == Type::string; }
    bool is_list() const { return type_ == Type::list; }
    bool is_dict() const { return type_ == Type::dict; }

    std::int64_t as_int() const { return integer_; }
    std::string_view as_string() const { return string_; }
    // Lists: the elements. Dicts: the values, in key order (see keys()).
    const std::vector<Value>& items() const { return items_; }
    // Dicts: the keys, sorted; keys()[i] belongs to items()[i].
    const std::vector<std::string_view>& keys() const { return keys_; }

    // Dict lookup (binary search); nullptr if absent or not a dict.
    const Value* find(std::string_view key) const;

    // The exact input bytes of this value, and where they start in the input.
    std::string_view raw() const { return raw_; }
    std::size_t offset() const { return offset_; }

  private:
    friend class Parser;
    Type type_ = Type::integer;
    std::int64_t integer_ = 0;
    std::string_view string_;
    std::string_view raw_;
    std::size_t offset_ = 0;
    std::vector<Value> items_;
    std::vector<std::string_view> keys_;
};

// Decodes exactly one value spanning all of `input` (in the canonical form
// unless limits.canonical is false). `relaxed`, when given, is set to whether
// a lenient decode accepted anything the canonical form refuses (so one
// lenient pass tells whether the input was canonical).
Result<Value> decode(std::string_view input, const Limits& limits = {}, bool* relaxed = nullptr);

// Name of a type, for error messages ("expected a string, found a list").
const char* type_name(Value::Type t);

// ---- Encoding --------------------------------------------------------------

// Appends one token; the caller keeps dict keys sorted.
void append_int(std::string& out, std::int64_t v);
void append_string(std::string& out, std::string_view s);

// An owned value for building documents. Dict keys are kept sorted by the map
// (std::string compares as raw bytes, as bencode requires). Raw holds bytes
// that are already bencoded (an unknown key's value kept from a parsed file)
// and is written verbatim.
struct Item {
    struct Raw {
        std::string bytes;
    };
    using List = std::vector<Item>;
    using Dict = std::map<std::string, Item>;

    std::variant<std::int64_t, std::string, List, Dict, Raw> v;

    Item() : v(std::int64_t{0}) {}
    Item(std::int64_t i) : v(i) {}                   // NOLINT: builder convenience
    Item(int i) : v(std::int64_t{i}) {}              // NOLINT
    Item(std::string s) : v(std::move(s)) {}         // NOLINT
    Item(std::string_view s) : v(std::string(s)) {}  // NOLINT
    Item(const char* s) : v(std::string(s)) {}       // NOLINT
    Item(List l) : v(std::move(l)) {}                // NOLINT
    Item(Dict d) : v(std::move(d)) {}                // NOLINT
    Item(Raw r) : v(std::move(r)) {}                 // NOLINT
};

void encode(const Item& item, std::string& out);
std::string encode(const Item& item);

}  // namespace mt::common::bencode
