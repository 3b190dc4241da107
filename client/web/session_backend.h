// The web interface's view of the Session: the same commands the prompt
// runs (Session::execute), and the transfer list show downloads prints.
#pragma once

#include <string>

#include "client/session/session.h"
#include "client/web/web_router.h"

namespace mt::client::web {

class SessionBackend : public WebBackend {
  public:
    // `download_dir`: where added torrents are downloaded (made if missing).
    SessionBackend(Session& session, std::string download_dir)
        : session_(session), download_dir_(std::move(download_dir)) {}

    std::vector<TransferView> views() override { return session_.transfer_views(); }
    // Kept as <state>/web/<info_hash>/<name>.mtorrent (mode 0600), then `get` it.
    Reply add_metainfo(const std::string& bytes) override;
    Reply add_source(const std::string& magnet_or_hash) override;
    // `share <path> <state>/web/<file name>.mtorrent`.
    Reply share(const std::string& path) override;
    Reply run(CommandKind kind, std::vector<std::string> args) override;
    std::string download_dir() const override { return download_dir_; }
    // Session::transfer_detail by info_hash; only the transfer that has it.
    std::optional<TransferDetail> detail(const std::string& info_hash) override;
    Reply search(const std::string& text, std::vector<common::wire::SearchHit>& hits) override {
        return session_.search(text, hits);
    }
    std::vector<std::string> log_tail(std::size_t n) override { return session_.log().tail(n); }
    RateSamples rates() override { return session_.rate_samples(); }

  private:
    std::string web_dir() const;

    Session& session_;
    std::string download_dir_;
};

}  // namespace mt::client::web
