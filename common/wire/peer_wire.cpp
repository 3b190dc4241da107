#include "common/wire/peer_wire.h"

#include <algorithm>
#include <cassert>
#include <cstring>

#include "common/bitfield.h"
#include "common/byte_io.h"

namespace mt::common::wire {

namespace {

template <class... F>
struct Overloaded : F... {
    using F::operator()...;
};
template <class... F>
Overloaded(F...) -> Overloaded<F...>;

constexpr std::uint8_t id_of(MessageId id) {
    return static_cast<std::uint8_t>(id);
}

// Payload size of the fixed-size messages; -1 for variable or unknown ids.
int fixed_payload(std::uint8_t id) {
    switch (static_cast<MessageId>(id)) {
        case MessageId::choke:
        case MessageId::unchoke:
        case MessageId::interested:
        case MessageId::not_interested:
        case MessageId::have_all:
        case MessageId::have_none:
            return 0;
        case MessageId::port:
            return 2;
        case MessageId::have:
        case MessageId::suggest:
        case MessageId::allowed_fast:
            return 4;
        case MessageId::request:
        case MessageId::cancel:
        case MessageId::reject:
            return 12;
        default:
            return -1;
    }
}

void put_header(std::string& out, std::uint32_t length, MessageId id) {
    append_u32(out, length);
    append_u8(out, id_of(id));
}

void put_triple(std::string& out, MessageId id, std::uint32_t a, std::uint32_t b, std::uint32_t c) {
    put_header(out, 13, id);
    append_u32(out, a);
    append_u32(out, b);
    append_u32(out, c);
}

void put_u32_message(std::string& out, MessageId id, std::uint32_t v) {
    put_header(out, 5, id);
    append_u32(out, v);
}

Error handshake_error(std::string message) {
    return make_error(Errc::parse_error, "handshake: " + std::move(message));
}

// Checks pstrlen, pstr and that `need` bytes are present.
Status check_handshake(std::string_view in, std::size_t need) {
    if (in.size() < need)
        return handshake_error("truncated: " + std::to_string(in.size()) + " of " +
                               std::to_string(need) + " bytes");
    if (static_cast<unsigned char>(in[0]) != kProtocolName.size())
        return handshake_error("protocol name length " +
                               std::to_string(static_cast<unsigned char>(in[0])) + ", expected 19");
    if (in.substr(1, kProtocolName.size()) != kProtocolName)
        return handshake_error("protocol is not 'BitTorrent protocol'");
    return {};
}

}  // namespace

// ---- Handshake ---------------------------------------------------------------

void encode(const Handshake& h, std::string& out) {
    append_u8(out, static_cast<std::uint8_t>(kProtocolName.size()));
    out.append(kProtocolName);
    out.append(reinterpret_cast<const char*>(h.reserved.data()), h.reserved.size());
    out.append(h.info_hash.view());
    out.append(h.peer_id.view());
}

Result<HandshakeHead> decode_handshake_head(std::string_view in) {
    if (auto st = check_handshake(in, kHandshakeHeadSize); !st) return st.error();
    HandshakeHead h;
    std::memcpy(h.reserved.data(), in.data() + 20, h.reserved.size());
    h.info_hash = InfoHash::from_bytes(in.substr(28, 20));
    return h;
}

Result<Handshake> decode_handshake(std::string_view in) {
    if (auto st = check_handshake(in, kHandshakeSize); !st) return st.error();
    Handshake h;
    std::memcpy(h.reserved.data(), in.data() + 20, h.reserved.size());
    h.info_hash = InfoHash::from_bytes(in.substr(28, 20));
    h.peer_id = PeerId::from_bytes(in.substr(48, 20));
    return h;
}

// ---- Messages ----------------------------------------------------------------

const char* message_name(std::uint8_t id) {
    switch (static_cast<MessageId>(id)) {
        case MessageId::choke:
            return "choke";
        case MessageId::unchoke:
            return "unchoke";
        case MessageId::interested:
            return "interested";
        case MessageId::not_interested:
            return "not interested";
        case MessageId::have:
            return "have";
        case MessageId::bitfield:
            return "bitfield";
        case MessageId::request:
            return "request";
        case MessageId::piece:
            return "piece";
        case MessageId::cancel:
            return "cancel";
        case MessageId::suggest:
            return "suggest piece";
        case MessageId::have_all:
            return "have all";
        case MessageId::have_none:
            return "have none";
        case MessageId::reject:
            return "reject request";
        case MessageId::allowed_fast:
            return "allowed fast";
        case MessageId::port:
            return "port";
        case MessageId::extended:
            return "extended";
    }
    return "unknown";
}

const char* message_name(const Message& m) {
    constexpr std::uint8_t kIds[] = {0xff, 0,    1,    2,    3,    4,    5, 6,  7,
                                     8,    0x0D, 0x0E, 0x0F, 0x10, 0x11, 9, 20, 0xff};
    static_assert(std::size(kIds) == std::variant_size_v<Message>);
    if (std::holds_alternative<KeepAlive>(m)) return "keep-alive";
    return message_name(kIds[m.index()]);
}

void encode_piece_header(std::uint32_t index, std::uint32_t begin, std::uint32_t block_len,
                         std::string& out) {
    assert(block_len <= UINT32_MAX - 9);
    put_header(out, 9 + block_len, MessageId::piece);
    append_u32(out, index);
    append_u32(out, begin);
}

void encode(const Message& m, std::string& out) {
    std::visit(
        Overloaded{
            [&](const KeepAlive&) { append_u32(out, 0); },
            [&](const Choke&) { put_header(out, 1, MessageId::choke); },
            [&](const Unchoke&) { put_header(out, 1, MessageId::unchoke); },
            [&](const Interested&) { put_header(out, 1, MessageId::interested); },
            [&](const NotInterested&) { put_header(out, 1, MessageId::not_interested); },
            [&](const Have& x) { put_u32_message(out, MessageId::have, x.piece); },
            [&](const BitfieldMsg& x) {
                put_header(out, static_cast<std::uint32_t>(1 + x.bits.size()), MessageId::bitfield);
                out.append(x.bits);
            },
            [&](const Request& x) {
                put_triple(out, MessageId::request, x.index, x.begin, x.length);
            },
            [&](const Piece& x) {
                encode_piece_header(x.index, x.begin, static_cast<std::uint32_t>(x.block.size()),
                                    out);
                out.append(x.block);
            },
            [&](const Cancel& x) {
                put_triple(out, MessageId::cancel, x.index, x.begin, x.length);
            },
            [&](const Suggest& x) { put_u32_message(out, MessageId::suggest, x.piece); },
            [&](const HaveAll&) { put_header(out, 1, MessageId::have_all); },
            [&](const HaveNone&) { put_header(out, 1, MessageId::have_none); },
            [&](const Reject& x) {
                put_triple(out, MessageId::reject, x.index, x.begin, x.length);
            },
            [&](const AllowedFast& x) { put_u32_message(out, MessageId::allowed_fast, x.piece); },
            [&](const PortMsg& x) {
                put_header(out, 3, MessageId::port);
                append_u8(out, static_cast<std::uint8_t>(x.port >> 8));
                append_u8(out, static_cast<std::uint8_t>(x.port & 0xff));
            },
            [&](const Extended& x) {
                put_header(out, static_cast<std::uint32_t>(2 + x.payload.size()),
                           MessageId::extended);
                append_u8(out, x.ext_id);
                out.append(x.payload);
            },
            [&](const Unknown& x) {
                append_u32(out, 1 + x.length);
                append_u8(out, x.id);
                out.append(x.length, '\0');
            },
        },
        m);
}

// ---- Incremental decoder -----------------------------------------------------

void MessageDecoder::feed(std::string_view bytes) {
    while (!bytes.empty() && !error_) {
        std::size_t take = 0;
        switch (stage_) {
            case Stage::length:
            case Stage::id:
            case Stage::fixed:
                take = std::min(hdr_need_ - hdr_len_, bytes.size());
                std::memcpy(hdr_ + hdr_len_, bytes.data(), take);
                hdr_len_ += take;
                break;
            case Stage::payload:
            case Stage::skip:
                take = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, bytes.size()));
                if (stage_ == Stage::payload) payload_.append(bytes.data(), take);
                remaining_ -= take;
                break;
        }
        bytes.remove_prefix(take);
        stream_pos_ += take;

        switch (stage_) {
            case Stage::length:
                if (hdr_len_ == hdr_need_) on_length();
                break;
            case Stage::id:
                if (hdr_len_ == hdr_need_) on_id();
                break;
            case Stage::fixed:
                if (hdr_len_ == hdr_need_) finish_fixed();
                break;
            case Stage::payload:
                if (remaining_ == 0) finish_payload();
                break;
            case Stage::skip:
                if (remaining_ == 0) emit(Unknown{hdr_[4], length_ - 1});
                break;
        }
    }
}

MessageDecoder::Step MessageDecoder::next() {
    if (!ready_.empty()) {
        auto [message, end] = std::move(ready_.front());
        ready_.pop_front();
        consumed_ = end;
        return Step(std::in_place_index<1>, std::move(message));
    }
    if (error_) return Step(std::in_place_index<2>, *error_);
    return NeedMore{};
}

void MessageDecoder::start_frame() {
    stage_ = Stage::length;
    hdr_len_ = 0;
    hdr_need_ = 4;
    frame_start_ = stream_pos_;
}

std::uint32_t MessageDecoder::length_cap() const {
    std::uint32_t cap = std::max(limits_.max_length, limits_.max_extended_length);
    if (piece_count_)
        cap = std::max(cap, static_cast<std::uint32_t>(1 + Bitfield::wire_size(*piece_count_)));
    return cap;
}

void MessageDecoder::on_length() {
    length_ = read_u32(hdr_);
    if (length_ == 0) return emit(KeepAlive{});
    if (length_ > length_cap())
        return fail(Errc::limit_exceeded, "message length " + std::to_string(length_) +
                                              " is over the limit of " +
                                              std::to_string(length_cap()));
    stage_ = Stage::id;
    hdr_need_ = 5;
}

void MessageDecoder::on_id() {
    const std::uint8_t id = hdr_[4];
    const std::string name = message_name(id);
    const std::string len = std::to_string(length_);
    auto over = [&](std::uint32_t limit) {
        fail(Errc::limit_exceeded,
             name + " message length " + len + " is over the limit of " + std::to_string(limit));
    };

    // The length is checked against the id before anything else is read.
    if (const int fixed = fixed_payload(id); fixed >= 0) {
        if (length_ != 1u + static_cast<unsigned>(fixed))
            return fail(Errc::parse_error, name + " message with length " + len + ", expected " +
                                               std::to_string(1 + fixed));
        stage_ = Stage::fixed;
        hdr_need_ = 5 + static_cast<std::size_t>(fixed);
        assert(hdr_need_ <= sizeof hdr_);
        if (fixed == 0) finish_fixed();
        return;
    }
    switch (static_cast<MessageId>(id)) {
        case MessageId::piece:
            if (length_ < 9)
                return fail(Errc::parse_error,
                            "piece message with length " + len + ", expected at least 9");
            if (length_ > limits_.max_length) return over(limits_.max_length);
            stage_ = Stage::fixed;
            hdr_need_ = 13;
            return;
        case MessageId::extended:
            if (length_ < 2)
                return fail(Errc::parse_error,
                            "extended message with length " + len + ", expected at least 2");
            if (length_ > limits_.max_extended_length) return over(limits_.max_extended_length);
            stage_ = Stage::fixed;
            hdr_need_ = 6;
            return;
        case MessageId::bitfield:
            if (piece_count_) {
                const std::size_t want = Bitfield::wire_size(*piece_count_);
                if (length_ - 1 != want)
                    return fail(Errc::parse_error, "bitfield of " + std::to_string(length_ - 1) +
                                                       " bytes for " +
                                                       std::to_string(*piece_count_) +
                                                       " pieces, expected " + std::to_string(want));
            } else if (length_ > limits_.max_length) {
                return over(limits_.max_length);
            }
            stage_ = Stage::fixed;
            hdr_need_ = 5;
            finish_fixed();
            return;
        default:
            if (length_ > limits_.max_length) return over(limits_.max_length);
            if (length_ == 1) return emit(Unknown{id, 0});
            stage_ = Stage::skip;
            remaining_ = length_ - 1;
            return;
    }
}

void MessageDecoder::finish_fixed() {
    const unsigned char* p = hdr_ + 5;
    switch (static_cast<MessageId>(hdr_[4])) {
        case MessageId::choke:
            return emit(Choke{});
        case MessageId::unchoke:
            return emit(Unchoke{});
        case MessageId::interested:
            return emit(Interested{});
        case MessageId::not_interested:
            return emit(NotInterested{});
        case MessageId::have_all:
            return emit(HaveAll{});
        case MessageId::have_none:
            return emit(HaveNone{});
        case MessageId::have:
            return emit(Have{read_u32(p)});
        case MessageId::suggest:
            return emit(Suggest{read_u32(p)});
        case MessageId::allowed_fast:
            return emit(AllowedFast{read_u32(p)});
        case MessageId::port:
            return emit(PortMsg{static_cast<std::uint16_t>((p[0] << 8) | p[1])});
        case MessageId::request:
            return emit(Request{read_u32(p), read_u32(p + 4), read_u32(p + 8)});
        case MessageId::cancel:
            return emit(Cancel{read_u32(p), read_u32(p + 4), read_u32(p + 8)});
        case MessageId::reject:
            return emit(Reject{read_u32(p), read_u32(p + 4), read_u32(p + 8)});
        default:
            break;  // piece, extended, bitfield: the payload follows
    }
    // The length was checked in on_id(), so this reservation is bounded.
    remaining_ = length_ - (hdr_need_ - 4);
    payload_.clear();
    payload_.reserve(static_cast<std::size_t>(remaining_));
    stage_ = Stage::payload;
    if (remaining_ == 0) finish_payload();
}

void MessageDecoder::finish_payload() {
    switch (static_cast<MessageId>(hdr_[4])) {
        case MessageId::piece:
            return emit(Piece{read_u32(hdr_ + 5), read_u32(hdr_ + 9), std::move(payload_)});
        case MessageId::extended:
            return emit(Extended{hdr_[5], std::move(payload_)});
        default:
            break;
    }
    if (piece_count_) {
        if (auto st = Bitfield::check_wire(payload_, *piece_count_); !st)
            return fail(Errc::parse_error, st.error().message);
    }
    emit(BitfieldMsg{std::move(payload_)});
}

void MessageDecoder::emit(Message m) {
    ready_.emplace_back(std::move(m), stream_pos_);
    payload_ = std::string();
    start_frame();
}

void MessageDecoder::fail(Errc code, std::string message) {
    error_ = make_error(code, "peer wire: " + std::move(message),
                        static_cast<std::size_t>(frame_start_));
}

}  // namespace mt::common::wire
