// Replays a fuzz target over a corpus without libFuzzer, so that `make test`
// (and the sanitizer builds) run every checked-in input through the parsers.
// usage: <target>_replay <file or directory>...
#include <dirent.h>
#include <sys/stat.h>

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "common/file_util.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {
int run_file(const std::string& path) {
    auto data = mt::common::read_file(path, 1 << 24);
    if (!data) {
        std::fprintf(stderr, "replay: %s\n", data.error().message.c_str());
        return 1;
    }
    LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(data->data()), data->size());
    return 0;
}
}  // namespace

int main(int argc, char** argv) {
    int inputs = 0, failures = 0;
    for (int i = 1; i < argc; ++i) {
        struct stat st {};
        if (::stat(argv[i], &st) != 0) {
            std::fprintf(stderr, "replay: cannot open %s\n", argv[i]);
            return 1;
        }
        if (!S_ISDIR(st.st_mode)) {
            failures += run_file(argv[i]);
            ++inputs;
            continue;
        }
        DIR* d = ::opendir(argv[i]);
        std::vector<std::string> names;
        while (dirent* e = ::readdir(d))
            if (e->d_name[0] != '.') names.emplace_back(e->d_name);
        ::closedir(d);
        for (const auto& n : names) {
            failures += run_file(std::string(argv[i]) + "/" + n);
            ++inputs;
        }
    }
    std::printf("%s: replayed %d inputs\n", argc > 1 ? argv[1] : "replay", inputs);
    return failures == 0 && inputs > 0 ? 0 : 1;
}
