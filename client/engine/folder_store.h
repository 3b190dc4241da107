// FolderStore: a folder torrent's files, addressed as the one byte stream the
// torrent's pieces cut across (a piece may span many files).
//
// Files are opened below the torrent's folder with common::open_beneath(): no
// symbolic link is followed anywhere inside it, and the paths come from a
// FileLayout, so they are already safe segments. At most `max_open` files
// are open at once (least recently used closed first): a torrent of 10,000
// files does not need 10,000 descriptors.
//
// BEP 47 pad files are never created: a write skips their bytes and a read
// gives zeros. The bytes of files that are not selected go to one sparse
// "parts" file at their offsets in the stream (as libtorrent's .parts), so an
// unselected file is never created in the folder; select_file() creates it
// later and moves in what the parts file holds of it.
//
// Every call is thread-safe: the writer thread writes while peer threads read.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "client/engine/file_layout.h"
#include "client/engine/storage.h"
#include "common/mutex.h"
#include "common/net/fd.h"
#include "common/result.h"

namespace mt::client {

class FolderStore final : public Storage {
  public:
    enum class Mode {
        // Downloading: the folder is created; a selected file is created
        // (sparse, at its size) when its first byte is written, an empty one
        // at once; a file already there is reused if it is a regular file of
        // ours. Opened read/write.
        create_or_open,
        // Seeding: every non-pad file must exist with its exact size; opened
        // read-only.
        open_existing,
    };
    struct Options {
        Mode mode = Mode::create_or_open;
        std::vector<bool> selected;  // per layout file; empty: every file
        std::string parts_path;      // needed when a file is not selected
        // Files kept open (each may hold two descriptors, plus as many closed
        // but not yet synced); 0: from the descriptor limit, at most 1024.
        std::size_t max_open = 0;
    };

    // `folder` is the torrent's own folder (`<destination>/<name>` for a
    // download, the user's folder for seeding); the layout's paths are
    // "<name>/<path inside>", and the part after the first '/' is used.
    static common::Result<std::unique_ptr<FolderStore>> open(const std::string& folder,
                                                             FileLayout layout,
                                                             std::uint64_t piece_length,
                                                             Options options);

    common::Status write_piece(std::uint32_t piece, std::string_view data) override;
    common::Status write(std::uint64_t offset, std::string_view data) override;
    common::Status read(std::uint64_t offset, std::size_t length, char* out) const override;
    common::Status sync() override;

    // Creates file `index` in the folder (if it is not there yet) and copies
    // into it what the parts file holds of it; from then on its bytes go to
    // it. Deselecting deletes nothing: the engine just stops asking for it.
    common::Status select_file(std::size_t index);
    bool in_folder(std::size_t index) const;
    const FileLayout& layout() const { return layout_; }
    std::uint64_t total_length() const { return total_; }

  private:
    struct Entry {
        std::vector<std::string> segments;  // below the folder; empty for pad files
        std::uint64_t offset = 0;
        std::uint64_t length = 0;
        bool padding = false;
    };
    // An open file: its descriptor and, for writing, a second one opened with
    // O_DIRECT (invalid where the file system has none), as in DiskStore.
    struct OpenFile {
        std::size_t index = 0;  // in the layout
        common::Fd fd;
        common::Fd direct;
        std::atomic<bool> dirty{false};  // written since its last fdatasync
        int get() const { return fd.get(); }
    };
    using FdPtr = std::shared_ptr<OpenFile>;

    FolderStore(common::Fd folder, std::string folder_path, FileLayout layout,
                std::uint64_t piece_length, Options options);
    // The first file whose range holds `offset` (files of length 0 skipped).
    std::size_t file_at(std::uint64_t offset) const;
    common::Result<FdPtr> file_fd(std::size_t index) const;
    common::Result<FdPtr> parts_fd(bool create) const;
    std::string shown(std::size_t index) const;
    // One file's share of a read or a write.
    common::Status write_range(std::size_t index, std::uint64_t in_file, std::string_view data);
    // pwrite of a file's share: the 4 KiB-aligned middle through the
    // O_DIRECT descriptor (copied to an aligned buffer when the data is not
    // aligned in memory), the ragged ends buffered. Returns 0 or an errno.
    int write_file_bytes(const OpenFile& f, std::uint64_t in_file, std::string_view data);
    common::Status read_range(std::size_t index, std::uint64_t in_file, std::size_t length,
                              char* out) const;

    common::Fd folder_;
    std::string folder_path_;
    FileLayout layout_;
    std::vector<Entry> entries_;
    std::vector<std::uint64_t> starts_;  // entries_[i].offset, for the binary search
    std::uint64_t piece_length_ = 0;
    std::uint64_t total_ = 0;
    Options opt_;
    std::atomic<bool> direct_ok_{true};  // false once the file system refused O_DIRECT

    // Writes (shared: the torrent's writers write pieces side by side)
    // against select_file() (exclusive); taken before mu_.
    mutable std::shared_mutex write_mu_;
    mutable common::Mutex mu_;
    // Open files, most recently used at the front.
    mutable std::list<std::pair<std::size_t, FdPtr>> open_ GUARDED_BY(mu_);
    mutable std::unordered_map<std::size_t, std::list<std::pair<std::size_t, FdPtr>>::iterator>
        open_index_ GUARDED_BY(mu_);
    mutable FdPtr parts_ GUARDED_BY(mu_);
    // Files closed by the cache while still dirty: kept open until the next
    // sync (at most max_open, then synced at once), so a sync never has
    // to open a file again.
    mutable std::vector<FdPtr> unsynced_ GUARDED_BY(mu_);
    bool parts_dirty_ GUARDED_BY(mu_) = false;
    std::vector<bool> in_folder_ GUARDED_BY(mu_);  // else its bytes are in the parts file
};

// A torrent's data as storage: a DiskStore for a single file at `path`, a
// FolderStore for a folder torrent whose folder is `path`. `existing`: every
// file must be there, read-only (seeding); else created or reused.
// `selected`/`parts_path` as in FolderStore::Options (folders only).
common::Result<std::unique_ptr<Storage>> open_data(const common::Metainfo& meta,
                                                   const std::string& path, bool existing,
                                                   const std::vector<bool>& selected = {},
                                                   const std::string& parts_path = "");

// Hashes every piece through the storage and returns how many differ from
// the metainfo (0: the data matches). Memory as hash_stream.
common::Result<std::size_t> count_bad_pieces(const Storage& storage, const common::Metainfo& meta);
// The same, with the verdict per piece.
common::Result<std::vector<bool>> good_pieces(const Storage& storage, const common::Metainfo& meta);

// Which pieces hold a byte of a selected file (pad files never count; an
// empty selection selects every file): the pieces to download.
std::vector<bool> wanted_pieces(const FileLayout& layout, const std::vector<bool>& selected,
                                std::uint64_t piece_length, std::uint64_t total_length);

}  // namespace mt::client
