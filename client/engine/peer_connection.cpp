#include "client/engine/peer_connection.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

#include "client/engine/torrent_internal.h"
#include "common/clock.h"
#include "common/net/socket.h"
#include "common/version.h"
#include "common/wire/extension.h"

namespace mt::client {

using common::cat;
namespace wire = common::wire;

namespace {

constexpr int kHandshakeTimeoutMs = 10000;
constexpr std::int64_t kRequestTimeoutMs = 15000;
constexpr std::int64_t kIdleTimeoutMs = 150000;
constexpr std::int64_t kKeepAliveMs = 90000;
constexpr std::int64_t kWriteTimeoutMs = 30000;
constexpr std::int64_t kFirstPexDelayMs = 1000;  // after the extension handshake
constexpr std::int64_t kPexIntervalMs = 60000;   // BEP 11: at most one a minute
constexpr std::int64_t kMinPexGapMs = 30000;     // theirs: extras within this are ignored
// Requests a peer may have queued with us (advertised as reqq; libtorrent
// allows 2000). A peer that paces its requests by reqq, as transmission does,
// gets at most reqq blocks per round trip of its request loop.
constexpr std::size_t kMaxQueuedUploads = 2000;
constexpr int kMaxBadRequests = 20;
// Output watermarks (see the header): uploads fill to kUploadFillBytes;
// reading pauses above kReadPauseBytes and resumes under kReadResumeBytes,
// which must happen within kDrainDeadlineMs of the pause.
constexpr std::size_t kUploadFillBytes = 1u << 20;
constexpr std::size_t kReadPauseBytes = 2u << 20;
constexpr std::size_t kReadResumeBytes = 3u << 19;
// The read buffer: starts small, grows while reads fill it.
constexpr std::size_t kMinReadChunk = 16u << 10;
constexpr std::size_t kMaxReadChunk = 256u << 10;
constexpr std::int64_t kDrainDeadlineMs = 15000;
// Unrequested blocks: waste allowed before the peer is dropped, and how long
// and how many cancelled or timed-out requests may still be answered.
constexpr std::uint32_t kMaxWasteBlocks = 64;
constexpr std::size_t kMaxRecentBlocks = 2048;
constexpr std::int64_t kRecentBlockMs = 60000;

}  // namespace

DropReason PeerConnection::drop(DropReason r, std::string detail) {
    drop_detail_ = std::move(detail);
    return r;
}

PeerConnection::PeerConnection(TorrentLink& torrent, common::Fd fd, std::string address,
                               bool outgoing)
    : t_(torrent),
      fd_(std::move(fd)),
      wake_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)),
      address_(std::move(address)),
      outgoing_(outgoing),
      decoder_(static_cast<std::uint32_t>(torrent.meta().piece_count())) {}

PeerConnection::~PeerConnection() = default;

void PeerConnection::close() {
    closing_ = true;
    ::shutdown(fd_.get(), SHUT_RDWR);
    const std::uint64_t one = 1;
    (void)!::write(wake_.get(), &one, sizeof one);
}

void PeerConnection::post_have(std::uint32_t piece) {
    {
        common::MutexLock lock(note_mu_);
        note_haves_.push_back(piece);
    }
    const std::uint64_t one = 1;
    (void)!::write(wake_.get(), &one, sizeof one);
}

void PeerConnection::post_cancel(const Block& block) {
    {
        common::MutexLock lock(note_mu_);
        note_cancels_.push_back(block);
    }
    const std::uint64_t one = 1;
    (void)!::write(wake_.get(), &one, sizeof one);
}

void PeerConnection::set_choked(bool choked) {
    {
        common::MutexLock lock(note_mu_);
        note_choke_ = choked;
    }
    const std::uint64_t one = 1;
    (void)!::write(wake_.get(), &one, sizeof one);
}

void PeerConnection::run(std::optional<wire::Handshake> theirs) {
    if (!handshake(theirs)) {
        t_.peer_dropped(address_, DropReason::handshake_failed, "");
        return;
    }
    key_ = t_.attach(this, address_, theirs->peer_id);
    if (key_ == 0) {  // stopping, or a second connection to the same peer
        t_.peer_dropped(address_, DropReason::not_attached, "");
        return;
    }
    fast_ = theirs->fast();
    extended_ = theirs->extended();
    peer_dht_ = theirs->dht();
    DropReason why = loop();
    if (closing_) why = DropReason::stopping;  // evicted, banned, or shutting down
    drop_outstanding();
    t_.detach(key_);
    t_.peer_dropped(address_, why, drop_detail_);
}

bool PeerConnection::handshake(std::optional<wire::Handshake>& theirs) {
    wire::Handshake mine;
    mine.info_hash = t_.meta().info_hash;
    mine.peer_id = t_.peer_id();
    mine.set_fast(true);
    mine.set_extended(true);
    mine.set_dht(dht_allowed());
    std::string out;
    wire::encode(mine, out);
    if (!common::write_all(fd_.get(), out, kHandshakeTimeoutMs)) return false;
    if (!theirs) {
        char buf[wire::kHandshakeSize];
        if (!common::read_exact(fd_.get(), buf, sizeof buf, kHandshakeTimeoutMs)) return false;
        auto h = wire::decode_handshake(std::string_view(buf, sizeof buf));
        if (!h) {
            t_.log().debug(cat("peer ", address_, ": bad handshake: ", h.error().message));
            return false;
        }
        if (h->info_hash != t_.meta().info_hash) {
            t_.log().debug(cat("peer ", address_, " answered with another info_hash"));
            return false;
        }
        theirs = *h;
    }
    if (theirs->peer_id == t_.peer_id()) return false;  // we connected to ourselves
    return true;
}

void PeerConnection::send(const wire::Message& m) {
    wire::encode(m, out_);
    last_send_ms_ = t_.now_ms();
}

// About 80 lines: one round of the connection (send, decode, wait, read,
// deadlines) in the order it happens; each step is its own function.
DropReason PeerConnection::loop() {
    (void)common::set_nonblocking(fd_.get(), true);
    (void)common::set_nodelay(fd_.get());
    const std::int64_t start = t_.now_ms();
    last_recv_ms_ = last_send_ms_ = last_block_ms_ = last_write_progress_ms_ = start;

    // What we have: BEP 6 shortcuts when both speak it.
    const common::Bitfield have = t_.advertised_bitfield(key_);
    if (fast_ && have.all()) {
        send(wire::HaveAll{});
    } else if (fast_ && have.none()) {
        send(wire::HaveNone{});
    } else if (!have.none()) {
        send(wire::BitfieldMsg{have.wire()});
    }
    if (extended_) send_ext_handshake();
    // BEP 5: both run a DHT node: ours is at this UDP port.
    if (peer_dht_ && dht_allowed()) send(wire::PortMsg{t_.options().dht->port()});

    // 16 KiB, doubled up to kMaxReadChunk while reads fill it: a peer that
    // only sends requests (most of a seeder's) costs 16 KiB, not 256.
    std::vector<char> buf(kMinReadChunk);
    while (!closing_) {
        // Looked at every round: the session may set or lift a limit any time.
        RateLimiter* down_limit = active_limit(t_.options().download_limit);
        // Refill the output from the peer's queued requests, then send:
        // a peer that asked for many blocks at once and then waits gets
        // them as fast as its socket takes them.
        serve_uploads();
        maybe_send_pex(t_.now_ms());
        if (!flush_output()) return drop(DropReason::io_error, "");
        if (auto r = check_output(t_.now_ms()); r != DropReason::none) return r;
        // Input decoded before a pause is handled once the output drains.
        if (!reading_paused_)
            if (auto r = decode_pending(); r != DropReason::none) return r;
        // Over the download limit: leave the socket unread (TCP holds the
        // sender back) until the limiter allows another block. Over the
        // output watermark: the same, until the peer reads what it asked for.
        std::int64_t wait = 250;
        bool read_ok = !reading_paused_;
        if (down_limit && read_ok) {
            const std::int64_t w = down_limit->wait_ms(kBlockSize, t_.now_ms());
            if (w > 0) read_ok = false, wait = std::min(wait, w);
        }
        if (upload_wait_ms_ > 0)
            wait = std::min(wait, upload_wait_ms_);  // over the upload limit
        else if (!uploads_.empty() && out_off_ == out_.size())
            wait = 0;  // the socket took everything and more is asked for
        pollfd fds[2] = {
            {fd_.get(),
             static_cast<short>((read_ok ? POLLIN : 0) | (out_off_ < out_.size() ? POLLOUT : 0)),
             0},
            {wake_.get(), POLLIN, 0}};
        const int rc = ::poll(fds, 2, static_cast<int>(wait));
        if (rc < 0 && errno != EINTR) return drop(DropReason::io_error, "");
        if (fds[1].revents & POLLIN) {
            std::uint64_t v;
            (void)!::read(wake_.get(), &v, sizeof v);
        }
        if (closing_) return DropReason::stopping;
        take_notes();
        if (fds[0].revents & POLLERR) return drop(DropReason::io_error, "");
        // Hung up both ways: nothing more can be read or sent (and poll would
        // report it at once, round after round, while we are not reading).
        if ((fds[0].revents & POLLHUP) && !(fds[0].revents & POLLIN))
            return drop(DropReason::peer_closed, "");
        if (read_ok && (fds[0].revents & (POLLIN | POLLHUP)))
            if (auto r = read_input(buf); r != DropReason::none) return r;
        const std::int64_t now = t_.now_ms();
        if (!outstanding_.empty() && now - last_block_ms_ > kRequestTimeoutMs) {
            // Slow or stalled: give its requests to others.
            t_.requests_timed_out(key_);
            for (const auto& b : outstanding_)
                remember_abandoned(b);
            outstanding_.clear();
            last_block_ms_ = now;
        }
        if (out_off_ < out_.size() && now - last_write_progress_ms_ > kWriteTimeoutMs)
            return drop(DropReason::write_stalled, cat("for ", kWriteTimeoutMs / 1000, " s"));
        if (now - last_recv_ms_ > kIdleTimeoutMs)
            return drop(DropReason::idle, cat("for ", kIdleTimeoutMs / 1000, " s"));
        if (now - last_send_ms_ > kKeepAliveMs) send(wire::KeepAlive{});
        update_interest();
        fill_pipeline();
    }
    return DropReason::stopping;
}

DropReason PeerConnection::check_output(std::int64_t now) {
    const std::size_t q = queued();
    if (!reading_paused_ && q >= kReadPauseBytes) {
        reading_paused_ = true;
        paused_since_ms_ = now;
    } else if (reading_paused_ && q < kReadResumeBytes) {
        reading_paused_ = false;
    }
    if (reading_paused_ && now - paused_since_ms_ > kDrainDeadlineMs)
        return drop(DropReason::output_not_drained,
                    cat(q, " bytes queued for it, over ", kReadResumeBytes, " for ",
                        (now - paused_since_ms_) / 1000, " s"));
    return DropReason::none;
}

DropReason PeerConnection::read_input(std::vector<char>& buf) {
    RateLimiter* down_limit = active_limit(t_.options().download_limit);
    // Read what is there (bounded, so notes and uploads get their turn).
    const std::size_t chunk = down_limit ? kBlockSize : buf.size();
    for (int round = 0; round < 4 && !reading_paused_; ++round) {
        if (round > 0 && down_limit && down_limit->wait_ms(kBlockSize, t_.now_ms()) > 0) break;
        const ssize_t n = ::read(fd_.get(), buf.data(), chunk);
        if (n == 0) return drop(DropReason::peer_closed, "");
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) break;
            return drop(DropReason::peer_closed, std::strerror(errno));
        }
        last_recv_ms_ = t_.now_ms();
        if (down_limit) down_limit->spend(static_cast<std::uint64_t>(n), last_recv_ms_);
        decoder_.feed(std::string_view(buf.data(), static_cast<std::size_t>(n)));
        if (auto r = decode_pending(); r != DropReason::none) return r;
        if (static_cast<std::size_t>(n) < chunk) break;
        if (!down_limit && buf.size() < kMaxReadChunk) {
            buf.resize(std::min(buf.size() * 2, kMaxReadChunk));
            break;  // the next round reads with the bigger buffer
        }
    }
    return DropReason::none;
}

DropReason PeerConnection::decode_pending() {
    while (true) {
        // What the messages so far made us queue (rejects, metadata) is over
        // the watermark: the rest waits until the peer reads it.
        if (queued() >= kReadPauseBytes) {
            if (auto r = check_output(t_.now_ms()); r != DropReason::none) return r;
            return DropReason::none;
        }
        auto step = decoder_.next();
        if (std::holds_alternative<wire::MessageDecoder::NeedMore>(step)) return DropReason::none;
        if (auto* e = std::get_if<common::Error>(&step))
            return drop(DropReason::protocol_error, e->message);
        if (auto r = handle(std::get<wire::Message>(step)); r != DropReason::none) return r;
    }
}

void PeerConnection::remember_abandoned(const Block& b) {
    if (abandoned_.size() >= kMaxRecentBlocks) abandoned_.pop_front();
    abandoned_.push_back({b, t_.now_ms()});
}

bool PeerConnection::take_abandoned(const Block& b) {
    const std::int64_t now = t_.now_ms();
    while (!abandoned_.empty() && now - abandoned_.front().at_ms > kRecentBlockMs)
        abandoned_.pop_front();
    auto it = std::find_if(abandoned_.begin(), abandoned_.end(),
                           [&](const Abandoned& a) { return a.block == b; });
    if (it == abandoned_.end()) return false;
    abandoned_.erase(it);
    return true;
}

void PeerConnection::take_notes() {
    std::vector<std::uint32_t> haves;
    std::vector<Block> cancels;
    std::optional<bool> choke;
    {
        common::MutexLock lock(note_mu_);
        haves.swap(note_haves_);
        cancels.swap(note_cancels_);
        choke = std::exchange(note_choke_, std::nullopt);
    }
    std::vector<Block> cancelled;
    for (const auto& b : cancels) {
        auto it = std::find(outstanding_.begin(), outstanding_.end(), b);
        if (it == outstanding_.end()) continue;  // already here, or never asked of this peer
        send(wire::Cancel{b.piece, b.offset, b.length});
        outstanding_.erase(it);
        remember_abandoned(b);  // it may have sent the block already
        cancelled.push_back(b);
    }
    // Tell the picker too. Usually it has already forgotten the request (the
    // block came from another peer), but a note can be older than the request
    // it matches: the piece failed its hash and the block was asked of this
    // peer again. Without this the picker would keep counting on a request
    // we just cancelled, and nobody would ever fetch that block.
    if (!cancelled.empty()) t_.requests_returned(key_, cancelled);
    for (auto piece : haves)
        send(wire::Have{piece});
    if (choke && *choke != am_choking_) {
        am_choking_ = *choke;
        if (am_choking_) {
            send(wire::Choke{});
            // BEP 6: pending requests are rejected explicitly; BEP 3: dropped.
            if (fast_)
                for (const auto& r : uploads_)
                    send(wire::Reject{r.index, r.begin, r.length});
            uploads_.clear();
        } else {
            send(wire::Unchoke{});
            // Sticky: a peer that was given a slot and never used it stays
            // idle (also across a choke) until it asks for something.
            if (idle_unchoked_since_ms_ < 0 && !used_a_slot_) idle_unchoked_since_ms_ = t_.now_ms();
        }
    }
}

void PeerConnection::update_interest() {
    const bool want = t_.interesting(key_);
    if (want != am_interested_) {
        am_interested_ = want;
        if (want) {
            send(wire::Interested{});
        } else {
            send(wire::NotInterested{});
        }
    }
}

void PeerConnection::fill_pipeline() {
    if (peer_choking_ || !am_interested_) return;
    const std::size_t want = t_.options().pipeline_blocks;
    if (outstanding_.size() + 8 > want && !outstanding_.empty()) return;  // ask in batches
    auto blocks = t_.pick(key_, want - outstanding_.size());
    if (outstanding_.empty()) last_block_ms_ = t_.now_ms();
    for (const auto& b : blocks) {
        send(wire::Request{b.piece, b.offset, b.length});
        outstanding_.push_back(b);
    }
}

void PeerConnection::serve_uploads() {
    std::string block;
    RateLimiter* limit = active_limit(t_.options().upload_limit);
    upload_wait_ms_ = 0;
    while (!uploads_.empty() && queued() < kUploadFillBytes) {
        const wire::Request r = uploads_.front();
        if (limit && !limit->take(r.length, t_.now_ms())) {
            upload_wait_ms_ = std::max<std::int64_t>(1, limit->wait_ms(r.length, t_.now_ms()));
            break;  // over the upload limit: the loop comes back after the wait
        }
        uploads_.pop_front();
        block.resize(r.length);
        if (auto s = t_.read_block(r.index, r.begin, r.length, block.data()); !s) {
            t_.log().error(cat("cannot serve a block to ", address_, ": ", s.error().message));
            if (fast_) send(wire::Reject{r.index, r.begin, r.length});
            continue;
        }
        wire::encode_piece_header(r.index, r.begin, r.length, out_);
        out_ += block;
        last_send_ms_ = t_.now_ms();
        bytes_up_ += r.length;
        t_.count_upload(r.length);
    }
}

bool PeerConnection::flush_output() {
    while (out_off_ < out_.size()) {
        const ssize_t w =
            ::send(fd_.get(), out_.data() + out_off_, out_.size() - out_off_, MSG_NOSIGNAL);
        if (w > 0) {
            out_off_ += static_cast<std::size_t>(w);
            last_write_progress_ms_ = t_.now_ms();
            continue;
        }
        if (w < 0 && errno == EINTR) continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;  // the loop polls for POLLOUT
        return false;
    }
    if (out_off_ == out_.size()) {
        out_.clear();
        out_off_ = 0;
        last_write_progress_ms_ = t_.now_ms();  // nothing pending: the write deadline restarts
    } else if (out_off_ > (1u << 20)) {
        out_.erase(0, out_off_);
        out_off_ = 0;
    }
    return true;
}

void PeerConnection::drop_outstanding() {
    if (!outstanding_.empty()) t_.requests_returned(key_, outstanding_);
    outstanding_.clear();
}

DropReason PeerConnection::handle_request(const wire::Request& r) {
    const auto& m = t_.meta();
    const std::uint64_t piece_size = r.index < m.piece_count() ? m.piece_size(r.index) : 0;
    const bool valid = r.length > 0 && r.length <= kBlockSize && r.index < m.piece_count() &&
                       std::uint64_t{r.begin} + r.length <= piece_size && t_.have_piece(r.index);
    if (!valid) {
        if (++bad_requests_ > kMaxBadRequests)
            return drop(DropReason::bad_requests,
                        cat(bad_requests_,
                            " invalid requests (over 16 KiB, out of range or for pieces we lack)"));
        if (fast_) send(wire::Reject{r.index, r.begin, r.length});
        return DropReason::none;
    }
    if (am_choking_) {
        if (fast_) send(wire::Reject{r.index, r.begin, r.length});
        return DropReason::none;
    }
    idle_unchoked_since_ms_ = -1;  // it uses its slot
    used_a_slot_ = true;
    if (uploads_.size() >= kMaxQueuedUploads) {
        if (fast_) send(wire::Reject{r.index, r.begin, r.length});
        return DropReason::none;
    }
    uploads_.push_back(r);
    return DropReason::none;
}

DropReason PeerConnection::handle_piece(wire::Piece& p) {
    const std::size_t n = p.block.size();
    const Block b{p.index, p.begin, static_cast<std::uint32_t>(n)};
    auto it = std::find(outstanding_.begin(), outstanding_.end(), b);
    if (it != outstanding_.end()) {
        outstanding_.erase(it);
    } else if (!take_abandoned(b)) {
        // Never asked of this peer (or long ago): not copied anywhere.
        t_.count_waste(n);
        if (++waste_blocks_ > kMaxWasteBlocks)
            return drop(DropReason::unrequested_blocks,
                        cat(waste_blocks_, " blocks we did not request"));
        return DropReason::none;
    }
    bytes_down_ += n;
    last_block_ms_ = t_.now_ms();
    std::vector<std::pair<PeerKey, Block>> cancel;
    if (!t_.on_block(key_, p.index, p.begin, std::move(p.block), cancel))
        return drop(DropReason::banned, "sent pieces that failed the hash check");
    if (!cancel.empty()) t_.cancel_elsewhere(cancel);
    return DropReason::none;
}

DropReason PeerConnection::handle(wire::Message& msg) {
    if (auto* p = std::get_if<wire::Piece>(&msg)) return handle_piece(*p);
    if (auto* r = std::get_if<wire::Request>(&msg)) return handle_request(*r);
    if (auto* c = std::get_if<wire::Cancel>(&msg)) {
        auto it = std::find_if(uploads_.begin(), uploads_.end(), [&](const wire::Request& q) {
            return q.index == c->index && q.begin == c->begin && q.length == c->length;
        });
        if (it != uploads_.end()) uploads_.erase(it);
        return DropReason::none;
    }
    if (std::holds_alternative<wire::Choke>(msg)) {
        peer_choking_ = true;
        if (!fast_) {  // BEP 3: a choke discards our requests (blocks in flight may still come)
            for (const auto& b : outstanding_)
                remember_abandoned(b);
            drop_outstanding();
        }
        return DropReason::none;
    }
    if (std::holds_alternative<wire::Unchoke>(msg)) {
        peer_choking_ = false;
        return DropReason::none;
    }
    if (std::holds_alternative<wire::Interested>(msg)) {
        if (!peer_interested_.exchange(true)) t_.interest_changed();
        return DropReason::none;
    }
    if (std::holds_alternative<wire::NotInterested>(msg)) {
        if (peer_interested_.exchange(false)) t_.interest_changed();
        return DropReason::none;
    }
    if (auto* h = std::get_if<wire::Have>(&msg)) {
        if (h->piece >= t_.meta().piece_count())
            return drop(DropReason::protocol_error,
                        cat("have for piece ", h->piece, " out of range"));
        t_.on_have(key_, h->piece);
        return DropReason::none;
    }
    if (auto* b = std::get_if<wire::BitfieldMsg>(&msg)) {
        auto bits = common::Bitfield::from_wire(b->bits, t_.meta().piece_count());
        if (!bits) return drop(DropReason::protocol_error, bits.error().message);
        t_.on_bitfield(key_, *bits);
        return DropReason::none;
    }
    if (std::holds_alternative<wire::HaveAll>(msg)) {
        t_.on_have_all(key_);
        return DropReason::none;
    }
    if (std::holds_alternative<wire::HaveNone>(msg)) {
        t_.on_bitfield(key_, common::Bitfield(t_.meta().piece_count()));
        return DropReason::none;
    }
    if (auto* rj = std::get_if<wire::Reject>(&msg)) {
        auto it = std::find_if(outstanding_.begin(), outstanding_.end(), [&](const Block& b) {
            return b.piece == rj->index && b.offset == rj->begin;
        });
        if (it != outstanding_.end()) {
            t_.requests_returned(key_, {*it});
            outstanding_.erase(it);
        }
        return DropReason::none;
    }
    if (auto* x = std::get_if<wire::Extended>(&msg)) return handle_extended(*x);
    if (auto* pm = std::get_if<wire::PortMsg>(&msg)) {
        // Its DHT node: worth a ping (the node decides what to keep).
        if (dht_allowed() && pm->port != 0 && ++port_msgs_ <= 2) {
            if (const auto addr = detail::ip_addr_of(address_))
                t_.options().dht->add_node(dht::Endpoint{*addr, pm->port});
        }
        return DropReason::none;
    }
    return DropReason::none;  // keep-alive, suggest, allowed fast, unknown: nothing to do
}

void PeerConnection::send_ext_handshake() {
    wire::ExtHandshake h;
    const std::size_t size = t_.meta().info_bytes.size();
    if (size <= wire::kMaxMetadataSize) {  // larger info dicts are not offered
        h.m[std::string(wire::kUtMetadata)] = wire::kUtMetadataId;
        h.metadata_size = static_cast<std::uint32_t>(size);
    }
    if (pex_allowed()) h.m[std::string(wire::kUtPex)] = wire::kUtPexId;
    if (t_.options().listen_port) h.port = t_.options().listen_port;
    h.client = common::kCreatedBy;
    h.reqq = static_cast<std::uint32_t>(kMaxQueuedUploads);
    wire::Extended x{wire::kExtHandshakeId, {}};
    wire::encode(h, x.payload);
    send(x);
}

DropReason PeerConnection::handle_extended(const wire::Extended& x) {
    if (x.ext_id == wire::kExtHandshakeId) {
        auto h = wire::decode_ext_handshake(x.payload);
        if (!h) {  // it can still trade pieces; it just gets no metadata from us
            t_.log().info(cat("peer ", address_, ": ignored its ", h.error().message));
            return DropReason::none;
        }
        peer_ut_metadata_ = h->ut_metadata();
        const auto pex = h->m.find(std::string(wire::kUtPex));
        peer_ut_pex_ = pex_allowed() && pex != h->m.end() ? pex->second : 0;
        next_pex_ms_ = t_.now_ms() + kFirstPexDelayMs;
        if (!outgoing_ && h->port) t_.set_listen_port(key_, *h->port);
        if (!h->client.empty()) t_.set_peer_client(key_, h->client);
        return DropReason::none;
    }
    if (x.ext_id == wire::kUtPexId) return handle_pex(x);
    if (x.ext_id != wire::kUtMetadataId) return DropReason::none;  // not an id we offered
    auto m = wire::decode_metadata_msg(x.payload);
    if (!m) {
        if (m.error().code == common::Errc::unsupported) return DropReason::none;  // BEP 9: ignore
        return drop(DropReason::protocol_error, m.error().message);
    }
    if (m->type != wire::MetadataMsgType::request) return DropReason::none;  // we never ask
    const std::string& info = t_.meta().info_bytes;
    const auto size = static_cast<std::uint32_t>(info.size());
    const bool valid = peer_ut_metadata_ != 0 && size <= wire::kMaxMetadataSize &&
                       m->piece < wire::metadata_piece_count(size);
    if (!valid && ++bad_requests_ > kMaxBadRequests)
        return drop(
            DropReason::bad_requests,
            cat(bad_requests_, " invalid requests (metadata pieces out of range or not offered)"));
    if (peer_ut_metadata_ == 0) return DropReason::none;  // no id to answer with
    wire::MetadataMsg reply{wire::MetadataMsgType::reject, m->piece, 0, {}};
    if (valid && queued() < kUploadFillBytes) {  // else busy: reject
        reply.type = wire::MetadataMsgType::data;
        reply.total_size = size;
        reply.data = info.substr(std::size_t{m->piece} * wire::kMetadataPieceSize,
                                 wire::metadata_piece_size(size, m->piece));
    }
    wire::Extended out{peer_ut_metadata_, {}};
    wire::encode(reply, out.payload);
    send(out);
    return DropReason::none;
}

// ---- Peer exchange (BEP 11) -----------------------------------------------------

bool PeerConnection::dht_allowed() const {
    return t_.options().dht != nullptr && !t_.meta().is_private;
}

bool PeerConnection::pex_allowed() const {
    return t_.options().pex && !t_.meta().is_private;
}

void PeerConnection::maybe_send_pex(std::int64_t now) {
    if (peer_ut_pex_ == 0 || now < next_pex_ms_) return;
    next_pex_ms_ = now + kPexIntervalMs;
    const std::vector<wire::PexPeer> current = t_.pex_candidates(key_);
    const auto same = [](const wire::PexPeer& a, const wire::PexPeer& b) {
        return a.ip == b.ip && a.port == b.port;
    };
    const auto in = [&](const std::vector<wire::PexPeer>& v, const wire::PexPeer& p) {
        return std::any_of(v.begin(), v.end(), [&](const wire::PexPeer& q) { return same(p, q); });
    };
    wire::PexMessage m;
    for (const auto& p : current)
        if (m.added.size() < wire::kPexPerMessage && !in(pex_sent_, p)) m.added.push_back(p);
    for (const auto& p : pex_sent_)
        if (m.dropped.size() < wire::kPexPerMessage && !in(current, p))
            m.dropped.push_back({p.ip, p.port, 0});
    if (m.added.empty() && m.dropped.empty()) return;
    for (const auto& d : m.dropped)
        pex_sent_.erase(std::remove_if(pex_sent_.begin(), pex_sent_.end(),
                                       [&](const wire::PexPeer& q) { return same(d, q); }),
                        pex_sent_.end());
    pex_sent_.insert(pex_sent_.end(), m.added.begin(), m.added.end());
    wire::Extended out{peer_ut_pex_, {}};
    wire::encode(m, out.payload);
    send(out);
}

// A PEX message counts at most once every kMinPexGapMs (BEP 11 allows one
// a minute; a peer that sends more gets the extras ignored, not a drop), and
// brings at most kPexPerMessage peers. A malformed one is ignored.
DropReason PeerConnection::handle_pex(const wire::Extended& x) {
    if (!pex_allowed()) return DropReason::none;
    const std::int64_t now = t_.now_ms();
    if (last_pex_in_ms_ >= 0 && now - last_pex_in_ms_ < kMinPexGapMs) return DropReason::none;
    auto m = wire::decode_pex(x.payload);
    if (!m) {
        t_.log().debug(cat("peer ", address_, ": ignored its ", m.error().message));
        return DropReason::none;
    }
    last_pex_in_ms_ = now;
    if (m->added.size() > wire::kPexPerMessage) m->added.resize(wire::kPexPerMessage);
    if (!m->added.empty()) t_.on_pex(key_, m->added);
    return DropReason::none;
}

}  // namespace mt::client
