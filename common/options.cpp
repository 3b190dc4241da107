#include "common/options.h"

#include "common/log.h"

namespace mt::common {

namespace {

Error bad(std::string why) {
    return Error{Errc::invalid_argument, std::move(why), 0};
}

std::vector<std::string> split_names(std::string_view names) {
    std::vector<std::string> out;
    while (!names.empty()) {
        const auto bar = names.find('|');
        out.emplace_back(names.substr(0, bar));
        if (bar == std::string_view::npos) break;
        names.remove_prefix(bar + 1);
    }
    return out;
}

}  // namespace

Options& Options::add(std::string_view names, bool takes_value, Setter set) {
    specs_.push_back(Spec{split_names(names), takes_value, std::move(set)});
    return *this;
}

Options& Options::flag(std::string_view names, bool* out) {
    return add(names, false, [out](const std::string&, const std::string&) {
        *out = true;
        return Status{};
    });
}

Options& Options::text(std::string_view names, std::string* out) {
    return add(names, true, [out](const std::string&, const std::string& v) {
        *out = v;
        return Status{};
    });
}

Options& Options::list(std::string_view names, std::vector<std::string>* out) {
    return add(names, true, [out](const std::string&, const std::string& v) {
        out->push_back(v);
        return Status{};
    });
}

Options& Options::choice(std::string_view names, const std::vector<std::string>& choices,
                         int* out) {
    return add(names, true, [choices, out](const std::string& name, const std::string& v) {
        for (std::size_t i = 0; i < choices.size(); ++i) {
            if (choices[i] == v) {
                *out = static_cast<int>(i);
                return Status{};
            }
        }
        std::string want;
        for (std::size_t i = 0; i < choices.size(); ++i)
            want += (i == 0 ? "" : i + 1 == choices.size() ? " or " : ", ") + choices[i];
        return Status(bad(cat("invalid value for ", name, ": '", v, "' (want ", want, ")")));
    });
}

Result<std::uint64_t> Options::parse_number(const std::string& name, const std::string& v,
                                            std::uint64_t lo, std::uint64_t hi) {
    std::uint64_t n = 0;
    bool ok = !v.empty() && v.size() <= 20;
    for (char c : v) {
        if (!ok) break;
        if (c < '0' || c > '9') {
            ok = false;
            break;
        }
        const auto d = static_cast<std::uint64_t>(c - '0');
        if (n > (UINT64_MAX - d) / 10) ok = false;
        n = n * 10 + d;
    }
    if (!ok || n < lo || n > hi)
        return bad(cat("invalid value for ", name, ": '", v, "' (want a whole number from ", lo,
                       " to ", hi, ")"));
    return n;
}

const Options::Spec* Options::find(std::string_view name) const {
    for (const auto& s : specs_)
        for (const auto& n : s.names)
            if (n == name) return &s;
    return nullptr;
}

Result<std::vector<std::string>> Options::parse(const std::vector<std::string>& args) const {
    std::vector<std::string> positional;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        if (a == "--") {
            positional.insert(positional.end(), args.begin() + static_cast<long>(i) + 1,
                              args.end());
            break;
        }
        if (a.size() < 2 || a[0] != '-') {
            positional.push_back(a);
            continue;
        }
        const auto eq = a.rfind("--", 0) == 0 ? a.find('=') : std::string::npos;
        const std::string name = a.substr(0, eq);
        const Spec* s = find(name);
        if (!s) return bad("unknown option " + name);
        std::string value;
        if (eq != std::string::npos) {
            if (!s->takes_value) return bad(name + " takes no value");
            value = a.substr(eq + 1);
        } else if (s->takes_value) {
            if (i + 1 == args.size()) return bad(name + " needs a value");
            value = args[++i];
        }
        if (auto st = s->set(name, value); !st) return st.error();
    }
    return positional;
}

Result<Endpoint> parse_endpoint_arg(const std::string& arg, std::string_view what,
                                    bool allow_port_zero) {
    auto e = parse_endpoint(arg);
    if (!e && arg.find(':') != arg.rfind(':') && arg.front() != '[')
        return bad(
            cat("bad ", what, " '", arg, "': an IPv6 address needs brackets, as in [::1]:6969"));
    if (!e || (!allow_port_zero && e->port == 0))
        return bad(cat("bad ", what, " '", arg, "': not ip:port (or [ipv6]:port)"));
    return e;
}

}  // namespace mt::common
