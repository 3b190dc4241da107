#include "client/web/session_backend.h"

#include "client/session/path_util.h"
#include "common/file_util.h"
#include "common/magnet.h"
#include "common/metainfo.h"

namespace mt::client::web {

std::string SessionBackend::web_dir() const {
    return session_.state_dir() + "/web";
}

Reply SessionBackend::run(CommandKind kind, std::vector<std::string> args) {
    return session_.execute(Command{kind, std::move(args)}, false);
}

std::optional<TransferDetail> SessionBackend::detail(const std::string& info_hash) {
    const std::string want = to_lower(info_hash);
    auto d = session_.transfer_detail(want);
    // A name is looked up as a label first: only the info_hash itself counts.
    if (!d || d->view.info_hash != want) return std::nullopt;
    return d;
}

Reply SessionBackend::add_metainfo(const std::string& bytes) {
    auto m = common::parse_metainfo(bytes);
    if (!m) return Reply::failure("INVALID_MTORRENT", m.error().message);
    // <state>/web/<info_hash>/<name>.mtorrent: its label is the torrent's
    // name, as for a .mtorrent given at the prompt (a name too long for a
    // file name: the info_hash).
    const std::string dir = web_dir() + "/" + m->info_hash.hex();
    if (auto s = make_dirs(dir, 0700); !s) return Reply::failure("IO_ERROR", s.error().message);
    const bool fits = m->name.size() <= 200 && common::check_path_segment(m->name, "name");
    const std::string path = dir + "/" + (fits ? m->name : m->info_hash.hex()) + ".mtorrent";
    if (auto s = common::write_file_atomic(path, bytes, 0600); !s)
        return Reply::failure("IO_ERROR", s.error().message);
    return run(CommandKind::get, {path, download_dir_ + "/"});
}

Reply SessionBackend::add_source(const std::string& text) {
    auto link = common::parse_magnet_or_hash(text);
    if (!link) return Reply::failure("INVALID_ARGUMENTS", link.error().message);
    return run(CommandKind::get, {link->info_hash.hex(), download_dir_ + "/"});
}

Reply SessionBackend::share(const std::string& path) {
    if (auto s = make_dirs(web_dir(), 0700); !s)
        return Reply::failure("IO_ERROR", s.error().message);
    const std::string name = base_name(path);
    if (name.empty() || name == "." || name == "..")
        return Reply::failure("INVALID_ARGUMENTS", "share needs a file or folder path");
    return run(CommandKind::share, {path, web_dir() + "/" + name + ".mtorrent"});
}

}  // namespace mt::client::web
