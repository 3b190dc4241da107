// The command line's usage text and its one way to refuse arguments.
#pragma once

#include <string>

namespace mt::client {

// Every form of bin/client, for --help and after a usage error.
const char* client_usage();

// Prints "client: <why>" (escaped) and the usage on stderr; returns 2, the
// exit code for wrong arguments.
int usage_error(const std::string& why);

}  // namespace mt::client
