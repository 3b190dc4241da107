// Fuzz target: the prompt's tokenizer and command parser (client/session/command.h)
// must never crash on any line; every token re-quoted in double quotes must
// tokenize back to the same tokens.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "client/session/command.h"

using namespace mt::client;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view in(reinterpret_cast<const char*>(data), size);
    auto tokens = tokenize(in);
    const ParsedCommand parsed = parse_command(in);
    if (!tokens) {
        if (parsed.ok() && parsed.command.kind != CommandKind::empty) std::abort();
        return 0;
    }
    std::string quoted;
    for (const auto& t : *tokens) {
        quoted += " \"";
        for (char c : t) {
            if (c == '"' || c == '\\') quoted += '\\';
            quoted += c;
        }
        quoted += '"';
    }
    auto again = tokenize(quoted);
    if (!again || *again != *tokens) std::abort();
    if (parsed.ok() && parsed.command.kind == CommandKind::empty && !tokens->empty()) std::abort();
    return 0;
}
