// Storage for the engine's unit tests: the torrent's bytes in memory, and
// faults on command (every write failing, as on a full disk, or reads).
#pragma once

#include <mutex>
#include <string>

#include "client/engine/storage.h"

namespace mt::client::test_support {

class MemoryStorage final : public Storage {
  public:
    MemoryStorage(std::uint64_t total, std::uint64_t piece_length)
        : bytes_(total, '\0'), piece_length_(piece_length) {}

    common::Status write_piece(std::uint32_t piece, std::string_view data) override {
        return write(std::uint64_t{piece} * piece_length_, data);
    }
    common::Status write(std::uint64_t at, std::string_view data) override {
        std::lock_guard lock(mu_);
        ++writes_;
        if (fail_writes_)
            return common::make_error(common::Errc::io_error, "memory: No space left on device");
        if (at + data.size() > bytes_.size())
            return common::make_error(common::Errc::io_error, "memory: write past the end");
        bytes_.replace(at, data.size(), data);
        return {};
    }
    common::Status read(std::uint64_t offset, std::size_t length, char* out) const override {
        std::lock_guard lock(mu_);
        if (fail_reads_) return common::make_error(common::Errc::io_error, "memory: I/O error");
        if (changed_) return common::make_error(common::Errc::changed, "memory: changed on disk");
        if (offset + length > bytes_.size())
            return common::make_error(common::Errc::io_error, "memory: read past the end");
        bytes_.copy(out, length, offset);
        return {};
    }
    common::Status sync() override { return {}; }

    void fail_writes(bool on) {
        std::lock_guard lock(mu_);
        fail_writes_ = on;
    }
    void fail_reads(bool on) {
        std::lock_guard lock(mu_);
        fail_reads_ = on;
    }
    // Reads fail as DiskStore's do once the file was edited (Errc::changed).
    void change_under_it(bool on) {
        std::lock_guard lock(mu_);
        changed_ = on;
    }
    void fill(const std::string& bytes) {
        std::lock_guard lock(mu_);
        bytes_ = bytes;
    }
    std::string bytes() const {
        std::lock_guard lock(mu_);
        return bytes_;
    }
    int writes() const {
        std::lock_guard lock(mu_);
        return writes_;
    }

  private:
    mutable std::mutex mu_;
    std::string bytes_;
    std::uint64_t piece_length_;
    bool fail_writes_ = false;
    bool fail_reads_ = false;
    bool changed_ = false;
    int writes_ = 0;
};

}  // namespace mt::client::test_support
