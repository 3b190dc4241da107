// Fuzz target: the prompt's tokenizer and command parser (client/session/command.h)
// must never crash on any line; every token re-quoted in double quotes must
// tokenize back to the same tokens. Tab completion (client/session/completion.h)
// of the same line must never crash, start its word within the line, and offer
// only candidates that tokenize to exactly one token.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "client/session/command.h"
#include "client/session/completion.h"

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
    CompletionSource src;
    src.names = {"a b.mtorrent", "x\\y\"z.mtorrent", "plain.mtorrent"};
    src.list_dir = [](const std::string&) {
        return std::vector<std::string>{"f i l e", "dir/", ".dot", "q\"uote"};
    };
    const auto c = complete_line(in, src);
    if (c.word_start > in.size()) std::abort();
    for (const auto& cand : c.candidates) {
        auto t = tokenize(cand);
        if (cand.empty() || !t || t->size() != 1) std::abort();
    }
    return 0;
}
