// Fuzz target: the bencode decoder must never crash, hang or read out of
// bounds, and whatever it accepts must re-encode to the same bytes.
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <string_view>

#include "common/bencode.h"

using namespace mt::common::bencode;

namespace {
Item rebuild(const Value& v) {
    switch (v.type()) {
        case Value::Type::integer:
            return Item(v.as_int());
        case Value::Type::string:
            return Item(v.as_string());
        case Value::Type::list: {
            Item::List l;
            for (const auto& i : v.items())
                l.push_back(rebuild(i));
            return Item(std::move(l));
        }
        case Value::Type::dict: {
            Item::Dict d;
            for (std::size_t i = 0; i < v.keys().size(); ++i)
                d[std::string(v.keys()[i])] = rebuild(v.items()[i]);
            return Item(std::move(d));
        }
    }
    return Item();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view in(reinterpret_cast<const char*>(data), size);
    Limits limits;
    limits.max_tokens = 100000;
    auto v = decode(in, limits);
    if (!v.ok()) {
        if (v.error().offset > size) std::abort();  // an offset must point into the input
        return 0;
    }
    if (encode(rebuild(*v)) != in) std::abort();  // canonical: the round trip is exact
    return 0;
}
