// Session: pause and resume, rate limits at run time, help, and the notices
// the prompt shows without being asked.
#include <algorithm>
#include <cstdlib>

#include "client/session/path_util.h"
#include "client/session/session.h"
#include "common/clock.h"
#include "common/units.h"

namespace mt::client {

using common::cat;

namespace {

// "2.00 MiB/s" or "none".
std::string limit_text(std::uint64_t bytes_per_second) {
    return bytes_per_second ? common::human_rate(static_cast<double>(bytes_per_second)) : "none";
}

// "2048" (KiB/s) -> bytes/s; "off", "none", "0" -> 0.
std::optional<std::uint64_t> parse_limit(const std::string& s) {
    if (s == "off" || s == "none" || s == "0") return 0;
    if (s.empty() || s.size() > 10 || s.find_first_not_of("0123456789") != std::string::npos)
        return std::nullopt;
    const std::uint64_t kib = std::strtoull(s.c_str(), nullptr, 10);
    if (kib > (1ull << 30)) return std::nullopt;
    return kib * 1024;
}

}  // namespace

void Session::notice(std::string text) {
    common::MutexLock lock(mu_);
    if (notices_.size() >= kMaxNotices) notices_.pop_front();
    notices_.push_back(std::move(text));
}

std::vector<std::string> Session::take_notices() {
    common::MutexLock lock(mu_);
    std::vector<std::string> out(notices_.begin(), notices_.end());
    notices_.clear();
    return out;
}

std::vector<std::string> Session::transfer_names() const {
    common::MutexLock lock(mu_);
    std::vector<std::string> out;
    for (const auto& t : transfers_)
        out.push_back(t->saved.label);
    return out;
}

std::uint64_t Session::total_uploaded(const Transfer& t) const {
    // A Torrent never started (restored paused) has sent nothing.
    return t.saved.uploaded + t.torrent->stats().uploaded;
}

Reply Session::cmd_help(const std::vector<std::string>& args) {
    if (args.empty()) return Reply::list(help_lines(), "commands");
    return Reply::list(help_about(args[0]), "line", "lines", " about " + to_lower(args[0]));
}

Reply Session::cmd_limit(const std::vector<std::string>& args) {
    if (args.size() == 2) {
        const auto rate = parse_limit(to_lower(args[1]));
        if (!rate)
            return Reply::failure("INVALID_ARGUMENTS",
                                  "a limit is KiB/s (a whole number up to 2^30) or off; " +
                                      command_usage(CommandKind::limit));
        (args[0] == "up" ? upload_limit_ : download_limit_)->set_rate(*rate);
        save();
        log_.info(cat("limit ", args[0], ": ", limit_text(*rate)));
    }
    return Reply::success("limits", cat("up ", limit_text(upload_limit_->rate()), ", down ",
                                        limit_text(download_limit_->rate()), " (all transfers)"));
}

Reply Session::cmd_pause(const std::string& name) {
    auto found = find_one(name);
    if (auto* f = std::get_if<Failure>(&found)) return Reply::failure(f->code, f->detail);
    const auto t = std::get<std::shared_ptr<Transfer>>(found);
    {
        common::MutexLock lock(mu_);
        if (t->saved.paused)
            return Reply::failure("ALREADY_PAUSED", t->saved.label + " is paused already");
        if (t->verifying)
            return Reply::failure("BUSY", t->saved.label +
                                              " is being verified; pause it once "
                                              "that is over (a notice tells)");
        t->saved.paused = true;
    }
    server_->remove(t->torrent.get());
    save();
    // Stopping announces `stopped` (a network wait): the worker does it, and
    // keeps what show downloads says from then on.
    post(
        [this, t] {
            {
                common::MutexLock run(t->run_mu);
                t->torrent->stop();
            }
            TorrentStats s = t->torrent->stats();
            s.down_rate = s.up_rate = 0;
            s.peers = 0;
            common::Bitfield have = t->torrent->have_bitfield();
            common::MutexLock lock(mu_);
            if (t->saved.paused) {
                t->frozen = s;
                t->frozen_have = std::move(have);
            }
        },
        true);
    log_.info(cat("paused ", t->saved.label));
    return Reply::success(t->saved.label,
                          "paused (its connections close, the trackers are "
                          "told); resume " +
                              quote_token(t->saved.label) + " carries on");
}

Reply Session::cmd_resume(const std::string& name) {
    auto found = find_one(name);
    if (auto* f = std::get_if<Failure>(&found)) return Reply::failure(f->code, f->detail);
    const auto t = std::get<std::shared_ptr<Transfer>>(found);
    {
        common::MutexLock lock(mu_);
        if (!t->saved.paused)
            return Reply::failure("NOT_PAUSED", t->saved.label + " is not paused");
        if (t->resuming)
            return Reply::failure("ALREADY_RESUMING", t->saved.label + " is being resumed");
        if (t->verifying)
            return Reply::failure("BUSY", t->saved.label +
                                              " is being verified; resume it once "
                                              "that is over (a notice tells)");
        t->resuming = true;
    }
    // After its stop (the worker runs jobs in order).
    post([this, t] { relaunch(t); }, false);
    return Reply::success(t->saved.label, "resuming (see show downloads)");
}

void Session::relaunch(const std::shared_ptr<Transfer>& t) {
    // The paused transfer stays listed (resuming) until launch() puts its
    // replacement in its place, so show downloads never loses it.
    SavedTransfer s;
    {
        common::MutexLock run(t->run_mu);  // its stop is over
        common::MutexLock lock(mu_);
        s = t->saved;
        s.paused = false;
        s.uploaded = total_uploaded(*t);
    }
    std::vector<std::string> notes;
    restore_transfer(s, notes);
    bool replaced = false, shared_anew = false;
    {
        common::MutexLock lock(mu_);
        replaced = std::find(transfers_.begin(), transfers_.end(), t) == transfers_.end();
        // A share edited while paused is shared again under a new info_hash.
        shared_anew =
            !replaced && std::any_of(transfers_.begin(), transfers_.end(), [&](const auto& x) {
                return x != t && x->saved.label == s.label;
            });
        if (shared_anew)
            transfers_.erase(std::remove(transfers_.begin(), transfers_.end(), t),
                             transfers_.end());
        else if (!replaced)
            t->resuming = false;  // still paused: it could not start
    }
    for (const auto& n : notes) {
        log_.warn(cat("resume: ", n));
        notice(n);
    }
    if (replaced || shared_anew)
        log_.info(cat("resumed ", s.label));
    else if (notes.empty())
        notice(cat(s.label, " could not be resumed (still paused); see the log"));
    save();
}

}  // namespace mt::client
