// The command line's usage text and its one way to refuse arguments.
#pragma once

#include <string>
#include <vector>

namespace mt::client {

// Every form of bin/client, for --help and after a usage error.
const char* client_usage();

// What a command's arguments ask of the command line itself, before the
// command parses them: `--help` or `-h` (the usage, on stdout, exit 0) or
// `--version`, anywhere before a `--`. They win over any mistake in the rest,
// as they do for the tracker.
enum class MetaRequest { none, help, version };
MetaRequest meta_request(const std::vector<std::string>& args);

// Prints "client: <why>" (escaped) and the usage on stderr; returns 2, the
// exit code for wrong arguments.
int usage_error(const std::string& why);

}  // namespace mt::client
