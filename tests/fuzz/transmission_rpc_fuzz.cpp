// Fuzz target: a Transmission RPC body (client/web/transmission_rpc.h) over
// a scripted session of two transfers must never crash, and every reply
// must be one JSON object with a string "result" (so every string from a
// torrent or a request was escaped).
#include <cstdint>
#include <cstdlib>
#include <string>

#include "client/web/transmission_rpc.h"
#include "common/json_value.h"

using namespace mt::client;
using namespace mt::client::web;

namespace {

struct FakeBackend : WebBackend {
    std::vector<TransferView> list;
    std::vector<TransferView> views() override { return list; }
    Reply add_metainfo(const std::string&) override { return Reply::success("x"); }
    Reply add_source(const std::string&) override { return Reply::failure("E", "\x01\"<bad>"); }
    Reply share(const std::string&) override { return Reply::success("x"); }
    Reply run(CommandKind, std::vector<std::string>) override {
        return Reply::failure("NOT_FOUND", "no \xff\"name\"");
    }
};

TransferView view(std::string hash, std::string name, char state) {
    TransferView v;
    v.info_hash = std::move(hash);
    v.name = v.label = std::move(name);
    v.state = state;
    v.stats.total = 100;
    v.stats.verified_bytes = state == 'S' ? 100 : 30;
    v.stats.complete = state == 'S';
    v.stats.down_rate = 12.5;
    return v;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    FakeBackend backend;
    backend.list = {view(std::string(40, 'a'), "a\"\\\n<\xc3\x28>", 'D'),
                    view(std::string(40, 'b'), "b", 'S')};
    TransmissionRpc rpc("sid", backend);
    mt::common::wire::HttpRequest req;
    req.method = "POST";
    req.path = req.target = "/transmission/rpc";
    req.headers = {{"x-transmission-session-id", "sid"}};
    req.body.assign(reinterpret_cast<const char*>(data), size);
    const WebResponse r = rpc.handle(req, 0);
    auto v = mt::common::parse_json(r.body);
    if (!v || !v->is(mt::common::JsonValue::Type::object)) std::abort();
    const auto* result = v->find("result");
    if (!result || !result->is(mt::common::JsonValue::Type::string)) std::abort();
    return 0;
}
