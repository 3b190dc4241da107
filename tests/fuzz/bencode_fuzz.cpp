// Fuzz target: the bencode decoder must never crash, hang or read out of
// bounds; whatever it accepts must re-encode to the same bytes, and what its
// lenient mode (Limits::canonical false) accepts must be well formed.
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <string>
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

// Every dict of a decoded value has its keys sorted and distinct, and each
// value's raw() is a span of the input.
void check_shape(const Value& v, std::string_view in) {
    if (v.raw().data() < in.data() || v.raw().data() + v.raw().size() > in.data() + in.size())
        std::abort();
    if (v.is_dict()) {
        if (v.keys().size() != v.items().size()) std::abort();
        for (std::size_t i = 1; i < v.keys().size(); ++i)
            if (!(v.keys()[i - 1] < v.keys()[i])) std::abort();
    }
    for (const auto& item : v.items())
        check_shape(item, in);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view in(reinterpret_cast<const char*>(data), size);
    Limits limits;
    limits.max_tokens = 100000;
    auto v = decode(in, limits);
    Limits lenient = limits;
    lenient.canonical = false;
    auto lv = decode(in, lenient);
    if (!v.ok()) {
        if (v.error().offset > size) std::abort();  // an offset must point into the input
        if (!lv.ok()) {
            if (lv.error().offset > size) std::abort();
            return 0;
        }
        // Accepted only leniently: sorted and distinct keys, exact raw spans,
        // and the re-encoding is canonical and decodes strictly to itself.
        check_shape(*lv, in);
        const std::string again = encode(rebuild(*lv));
        auto strict = decode(again, limits);
        if (!strict.ok() || encode(rebuild(*strict)) != again) std::abort();
        return 0;
    }
    if (encode(rebuild(*v)) != in) std::abort();  // canonical: the round trip is exact
    // What the strict decoder accepts, the lenient one reads the same way.
    if (!lv.ok() || lv->raw() != v->raw() || encode(rebuild(*lv)) != in) std::abort();
    check_shape(*v, in);
    return 0;
}
