// The one command-line option parser of both binaries. A command declares
// its options (each bound to the variable it sets), then parse() walks the
// arguments: options may come anywhere, as `--name value` or `--name=value`;
// `--` ends them; everything else is positional, in order.
//
// Errors (Errc::invalid_argument) say exactly what is wrong:
//   "unknown option --x"
//   "--port needs a value"
//   "invalid value for --port: 'abc' (want a whole number from 0 to 65535)"
//   "invalid value for --log-level: 'loud' (want debug, info, warn or error)"
//   "--force takes no value"
// and for positional addresses (parse_endpoint_arg):
//   "bad tracker address 'x': not ip:port"
// A number is decimal digits only: no sign, no blanks, no suffix.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "common/net/socket.h"
#include "common/result.h"

namespace mt::common {

class Options {
  public:
    // `names`: "--port", or aliases "--tracker|-t".
    Options& flag(std::string_view names, bool* out);
    Options& text(std::string_view names, std::string* out);
    // Repeatable: each use appends.
    Options& list(std::string_view names, std::vector<std::string>* out);
    // A whole number in [lo, hi].
    template <class T>
    Options& number(std::string_view names, T* out, std::uint64_t lo, std::uint64_t hi) {
        return add(names, true, [out, lo, hi](const std::string& name, const std::string& v) {
            auto n = parse_number(name, v, lo, hi);
            if (!n) return Status(n.error());
            *out = static_cast<T>(*n);
            return Status{};
        });
    }
    // One of `choices`; `*out` gets its index.
    Options& choice(std::string_view names, const std::vector<std::string>& choices, int* out);

    // The positional arguments, or the first error.
    Result<std::vector<std::string>> parse(const std::vector<std::string>& args) const;

    // "invalid value for NAME: 'V' (want a whole number from LO to HI)" unless
    // V is a decimal number in range.
    static Result<std::uint64_t> parse_number(const std::string& name, const std::string& v,
                                              std::uint64_t lo, std::uint64_t hi);

  private:
    using Setter = std::function<Status(const std::string& name, const std::string& value)>;
    struct Spec {
        std::vector<std::string> names;
        bool takes_value = false;
        Setter set;
    };
    Options& add(std::string_view names, bool takes_value, Setter set);
    const Spec* find(std::string_view name) const;

    std::vector<Spec> specs_;
};

// An "ip:port" (or "host:port") argument: `what` names it in the error
// ("bad <what> '<arg>': not ip:port"); port 0 is refused unless allowed.
Result<Endpoint> parse_endpoint_arg(const std::string& arg, std::string_view what,
                                    bool allow_port_zero = false);

}  // namespace mt::common
