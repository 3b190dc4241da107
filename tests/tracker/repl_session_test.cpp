#include "tracker/repl_session.h"

#include <gtest/gtest.h>

namespace mt::tracker::repl {
namespace {

using State = HandshakeStep::State;

const std::string kSecret = "shared secret of the pair";
const Nonce kNs = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
const Nonce kNr = {16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1};

// Feeds `bytes` one at a time; the steps' outputs concatenated, and the last state.
HandshakeStep feed_bytewise(auto& hs, const std::string& bytes) {
    HandshakeStep all;
    for (char c : bytes) {
        auto st = hs.feed(std::string_view(&c, 1));
        all.out += st.out;
        all.state = st.state;
        all.reason = st.reason;
    }
    return all;
}

TEST(ReplHandshake, BothEndsAgreeOnKeysWhateverTheChunking) {
    InitiatorHandshake s(kSecret, 1, kNs);
    ResponderHandshake r(kSecret, 2, kNr);
    const std::string h1 = s.start();
    ASSERT_EQ(h1.size(), kHello1Bytes);

    const auto r1 = feed_bytewise(r, h1);
    EXPECT_EQ(r1.state, State::need_more);
    ASSERT_EQ(r1.out.size(), kHello2Bytes);

    // R's reply and the first bytes of a frame in one read.
    const auto s1 = s.feed(r1.out + "frame");
    ASSERT_EQ(s1.state, State::done) << s1.reason;
    ASSERT_EQ(s1.out.size(), kHello3Bytes);
    EXPECT_EQ(s.peer_id(), 2);
    EXPECT_EQ(s.take_leftover(), "frame");

    // S's mac and its first frame in one read, then more.
    const auto r2 = r.feed(s1.out + "abc");
    ASSERT_EQ(r2.state, State::done) << r2.reason;
    EXPECT_TRUE(r2.out.empty());
    EXPECT_EQ(r.feed("def").state, State::done);
    EXPECT_EQ(r.peer_id(), 1);
    EXPECT_EQ(r.take_leftover(), "abcdef");

    EXPECT_EQ(s.keys().send, r.keys().recv);
    EXPECT_EQ(s.keys().recv, r.keys().send);
    EXPECT_NE(s.keys().send, s.keys().recv);
    // Frames sealed by one open at the other.
    FrameCipher cs(s.keys()), cr(r.keys());
    std::string wire;
    cs.seal(encode_message(Ping{}), wire);
    cr.feed(wire);
    EXPECT_TRUE(std::holds_alternative<std::string>(cr.next()));
}

TEST(ReplHandshake, ResponderRefusesWhatIsNotTheMagicAtTheFirstWrongByte) {
    ResponderHandshake r(kSecret, 2, kNr);
    EXPECT_EQ(r.feed("MTRE").state, State::need_more);
    const auto st = r.feed("X");
    EXPECT_EQ(st.state, State::refused);
    EXPECT_TRUE(st.out.empty());
    EXPECT_FALSE(st.reason.empty());
    // Refused stays refused, and holds nothing of what follows.
    EXPECT_EQ(r.feed(std::string(1000, 'x')).state, State::refused);
    EXPECT_TRUE(r.take_leftover().empty());
}

TEST(ReplHandshake, ResponderRefusesAnIdOtherThanTheOtherTrackers) {
    for (std::uint8_t id : {std::uint8_t{2}, std::uint8_t{0}, std::uint8_t{3}, std::uint8_t{255}}) {
        ResponderHandshake r(kSecret, 2, kNr);
        const auto st = r.feed(encode_hello1(id, kNs));
        EXPECT_EQ(st.state, State::refused) << int(id);
        EXPECT_NE(st.reason.find("bad tracker id"), std::string::npos) << st.reason;
        EXPECT_TRUE(st.out.empty()) << "nothing proven to a stranger";
    }
}

TEST(ReplHandshake, WrongSecretIsRefusedByBothEnds) {
    // R with another secret: S refuses R's mac.
    InitiatorHandshake s(kSecret, 1, kNs);
    ResponderHandshake r_other("another secret", 2, kNr);
    const auto reply = r_other.feed(s.start());
    ASSERT_EQ(reply.out.size(), kHello2Bytes);
    const auto st = s.feed(reply.out + "junk");
    EXPECT_EQ(st.state, State::refused);
    EXPECT_TRUE(st.out.empty()) << "S sends no mac to a tracker that failed to prove the secret";
    EXPECT_NE(st.reason.find("failed authentication"), std::string::npos);
    EXPECT_TRUE(s.take_leftover().empty());

    // S with another secret: R refuses S's mac.
    InitiatorHandshake s_other("another secret", 1, kNs);
    ResponderHandshake r(kSecret, 2, kNr);
    const auto r1 = r.feed(s_other.start());
    const auto s1 = s_other.feed(r1.out);
    EXPECT_EQ(s1.state, State::refused);
    // Even a made-up mac of the right length.
    const auto r2 = r.feed(std::string(kHello3Bytes, '\0'));
    EXPECT_EQ(r2.state, State::refused);
    EXPECT_NE(r2.reason.find("authentication failed"), std::string::npos);
}

TEST(ReplHandshake, InitiatorRefusesAReplyWithItsOwnId) {
    // A tracker configured with our id, even with the right secret.
    InitiatorHandshake s(kSecret, 1, kNs);
    ResponderHandshake twin(kSecret, 1, kNr);
    std::string reply(1, '\1');
    reply.append(reinterpret_cast<const char*>(kNr.data()), kNr.size());
    reply += responder_mac(kSecret, 1, 1, kNs, kNr);
    const auto st = s.feed(reply);
    EXPECT_EQ(st.state, State::refused);
    EXPECT_NE(st.reason.find("clashes"), std::string::npos);
}

TEST(ReplHandshake, ARecordedHandshakeIsNotAcceptedAgain) {
    // Record a whole session's S side...
    InitiatorHandshake s(kSecret, 1, kNs);
    ResponderHandshake r(kSecret, 2, kNr);
    const std::string h1 = s.start();
    const std::string h3 = s.feed(r.feed(h1).out).out;
    ASSERT_EQ(r.feed(h3).state, State::done);
    // ...and replay it to a responder that picks a fresh nonce.
    Nonce fresh = kNr;
    fresh[0] ^= 0xff;
    ResponderHandshake r2(kSecret, 2, fresh);
    const auto st = r2.feed(h1 + h3);
    EXPECT_EQ(st.state, State::refused);
    EXPECT_EQ(st.out.size(), kHello2Bytes) << "the reply to hello1 still goes out";
}

TEST(ReplCatchUp, TailWhenTheOutboxReachesAndTheOtherLostNothing) {
    CatchUpInput in;
    in.self = 1;
    in.theirs = {90, 40};  // holds 90 of ours, 40 of its own
    in.mine.seq[1] = 100;
    in.mine.seq[2] = 40;
    in.state_entries = 5;
    const auto p = plan_catch_up(in);
    EXPECT_EQ(p.kind, CatchUpPlan::Kind::tail);
    EXPECT_EQ(p.their_view_of_us, 90u);
    EXPECT_EQ(p.missing, 10u);

    // Tracker 2's view: its own is clock2.
    in.self = 2;
    in.theirs = {40, 90};
    in.mine.seq[1] = 40;
    in.mine.seq[2] = 100;
    EXPECT_EQ(plan_catch_up(in).kind, CatchUpPlan::Kind::tail);
    EXPECT_EQ(plan_catch_up(in).their_view_of_us, 90u);
}

TEST(ReplCatchUp, SnapshotForEachReason) {
    CatchUpInput base;
    base.self = 1;
    base.theirs = {90, 40};
    base.mine.seq[1] = 100;
    base.mine.seq[2] = 40;
    base.state_entries = 5;

    auto lost_own = base;
    lost_own.theirs.clock2 = 39;  // it has fewer of its own changes than we do
    EXPECT_EQ(plan_catch_up(lost_own).kind, CatchUpPlan::Kind::snapshot);
    EXPECT_STREQ(plan_catch_up(lost_own).why, "it lost changes of its own");

    auto we_lost = base;
    we_lost.theirs.clock1 = 120;  // it has more of ours than we do
    const auto p = plan_catch_up(we_lost);
    EXPECT_EQ(p.kind, CatchUpPlan::Kind::snapshot);
    EXPECT_EQ(p.missing, 0u);
    EXPECT_STREQ(p.why, "it holds changes of ours that we lost");

    auto trimmed = base;
    trimmed.outbox_reaches = false;
    EXPECT_EQ(plan_catch_up(trimmed).kind, CatchUpPlan::Kind::snapshot);

    auto long_tail = base;
    long_tail.theirs.clock1 = 0;
    long_tail.mine.seq[1] = 1006;  // 1006 missing > 5 entries + 1000
    EXPECT_EQ(plan_catch_up(long_tail).kind, CatchUpPlan::Kind::snapshot);
    long_tail.mine.seq[1] = 1005;
    EXPECT_EQ(plan_catch_up(long_tail).kind, CatchUpPlan::Kind::tail);
}

}  // namespace
}  // namespace mt::tracker::repl
