#include "client/engine/file_layout.h"

#include <fnmatch.h>

#include <map>
#include <set>

namespace mt::client {

using common::Errc;
using common::make_error;

namespace {

// Length of the valid UTF-8 sequence at s[i], or 0 if it is not one
// (overlong forms, surrogates and code points over U+10FFFF are invalid).
std::size_t utf8_length(std::string_view s, std::size_t i) {
    const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
    const unsigned char c = b(i);
    if (c < 0x80) return 1;
    std::size_t n = 0;
    unsigned char lo = 0x80, hi = 0xbf;  // the range of the second byte
    if (c >= 0xc2 && c <= 0xdf) {
        n = 2;
    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3;
        if (c == 0xe0) lo = 0xa0;  // overlong
        if (c == 0xed) hi = 0x9f;  // surrogates
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4;
        if (c == 0xf0) lo = 0x90;  // overlong
        if (c == 0xf4) hi = 0x8f;  // over U+10FFFF
    } else {
        return 0;
    }
    if (i + n > s.size()) return 0;
    if (b(i + 1) < lo || b(i + 1) > hi) return 0;
    for (std::size_t k = 2; k < n; ++k)
        if (b(i + k) < 0x80 || b(i + k) > 0xbf) return 0;
    return n;
}

void note(std::string* why, const char* what) {
    if (why == nullptr) return;
    if (why->find(what) != std::string::npos) return;
    if (!why->empty()) *why += ", ";
    *why += what;
}

// Cuts s to at most max bytes at a character boundary, keeping a short
// extension.
std::string shorten(const std::string& s, std::size_t max) {
    std::string ext;
    const auto dot = s.find_last_of('.');
    if (dot != std::string::npos && dot > 0 && s.size() - dot <= 32) ext = s.substr(dot);
    std::size_t cut = max - ext.size();
    while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xc0) == 0x80)
        --cut;
    return s.substr(0, cut) + ext;
}

// "name.ext" -> "name.<n>.ext" ("name" -> "name.<n>").
std::string numbered(const std::string& segment, unsigned n) {
    const auto dot = segment.find_last_of('.');
    const std::string tag = "." + std::to_string(n);
    if (dot == std::string::npos || dot == 0) return segment + tag;
    return segment.substr(0, dot) + tag + segment.substr(dot);
}

// Gives each file a path no other file or folder of the torrent has.
class PathClaims {
  public:
    // Claims parent folders then the file; `segments` may be renamed.
    // Returns whether anything was renamed.
    bool claim(std::vector<std::string>& segments) {
        bool renamed = false;
        std::string prefix;
        for (std::size_t k = 0; k + 1 < segments.size(); ++k) {
            std::string dir = prefix.empty() ? segments[k] : prefix + "/" + segments[k];
            if (files_.count(dir)) {  // a file took this name: the folder moves
                auto it = dir_renames_.find(dir);
                if (it == dir_renames_.end()) {
                    const std::string base = segments[k];
                    std::string moved;
                    for (unsigned n = 1;; ++n) {
                        segments[k] = numbered(base, n);
                        moved = prefix.empty() ? segments[k] : prefix + "/" + segments[k];
                        if (!files_.count(moved) && !dirs_.count(moved)) break;
                    }
                    it = dir_renames_.emplace(dir, segments[k]).first;
                }
                segments[k] = it->second;
                dir = prefix.empty() ? segments[k] : prefix + "/" + segments[k];
                renamed = true;
            }
            dirs_.insert(dir);
            prefix = dir;
        }
        auto path = [&] {
            return prefix.empty() ? segments.back() : prefix + "/" + segments.back();
        };
        if (files_.count(path()) || dirs_.count(path())) {
            const std::string base = segments.back();
            for (unsigned n = 1; files_.count(path()) || dirs_.count(path()); ++n)
                segments.back() = numbered(base, n);
            renamed = true;
        }
        files_.insert(path());
        return renamed;
    }

  private:
    std::set<std::string> files_;
    std::set<std::string> dirs_;
    std::map<std::string, std::string> dir_renames_;  // folder path -> its new last segment
};

}  // namespace

std::string safe_segment(std::string_view raw, std::string* why) {
    std::string out;
    out.reserve(raw.size());
    for (std::size_t i = 0; i < raw.size();) {
        const auto c = static_cast<unsigned char>(raw[i]);
        if (c == 0 || c < 0x20 || c == 0x7f) {
            out += '_';
            note(why, "control character");
            ++i;
        } else if (c == '/') {
            out += '_';
            note(why, "'/' in a name");
            ++i;
        } else if (std::size_t n = utf8_length(raw, i); n == 0) {
            out += '_';
            note(why, "not UTF-8");
            ++i;
        } else if (n == 2 && c == 0xc2 && static_cast<unsigned char>(raw[i + 1]) < 0xa0) {
            out += '_';  // U+0080-U+009F: C1 controls (U+009B opens an escape)
            note(why, "control character");
            i += 2;
        } else {
            out.append(raw.substr(i, n));
            i += n;
        }
    }
    if (out.size() > kMaxSegmentBytes) {
        out = shorten(out, kMaxSegmentBytes);
        note(why, "shortened");
    }
    if (out.empty() || out == "." || out == "..") {
        out = "_";
        note(why, "no name");
    }
    return out;
}

common::Result<FileLayout> make_file_layout(const common::Metainfo& meta) {
    FileLayout layout;
    std::string why;
    const std::string name = safe_segment(meta.name, &why);
    if (!why.empty())
        layout.repairs.push_back("name: '" + meta.name + "' written as '" + name + "' (" + why +
                                 ")");
    layout.top = name;
    if (!meta.multi_file()) {
        layout.files.push_back({name, 0, meta.length, false});
        return layout;
    }
    PathClaims claims;
    std::uint64_t offset = 0;
    for (std::size_t i = 0; i < meta.files.size(); ++i) {
        const common::MetainfoFile& f = meta.files[i];
        LayoutFile out{"", offset, f.length, f.padding};
        offset += f.length;
        if (f.padding) {
            layout.files.push_back(std::move(out));
            continue;
        }
        why.clear();
        std::vector<std::string> segments;
        for (const auto& raw : f.path) {
            if (raw.empty() || raw == "." || raw == "..") {
                note(&why, raw.empty() ? "empty segment dropped" : "'.' or '..' dropped");
                continue;
            }
            segments.push_back(safe_segment(raw, &why));
        }
        if (segments.empty()) {
            segments.push_back("_");
            note(&why, "no name");
        }
        if (claims.claim(segments)) note(&why, "made distinct");
        out.path = name + "/" + common::join_path(segments);
        if (out.path.size() > kMaxPathBytes)
            return make_error(Errc::invalid_argument,
                              "metainfo: info.files[" + std::to_string(i) + "] path is " +
                                  std::to_string(out.path.size()) + " bytes, over the limit of " +
                                  std::to_string(kMaxPathBytes));
        if (!why.empty())
            layout.repairs.push_back("files[" + std::to_string(i) + "]: '" +
                                     common::join_path(f.path) + "' written as '" + out.path +
                                     "' (" + why + ")");
        layout.files.push_back(std::move(out));
    }
    return layout;
}

std::vector<bool> select_by_globs(const FileLayout& layout, const std::vector<std::string>& globs) {
    std::vector<bool> out(layout.files.size(), false);
    for (std::size_t i = 0; i < layout.files.size(); ++i) {
        const LayoutFile& f = layout.files[i];
        if (f.padding) continue;
        // The path inside the torrent: after "<name>/" (a single file: its name).
        const auto slash = f.path.find('/');
        const std::string inside = slash == std::string::npos ? f.path : f.path.substr(slash + 1);
        std::vector<std::size_t> ends;  // where each segment of `inside` ends
        for (std::size_t p = inside.find('/'); p != std::string::npos; p = inside.find('/', p + 1))
            ends.push_back(p);
        ends.push_back(inside.size());
        for (std::string g : globs) {
            bool folder_only = false;
            while (g.size() > 1 && g.back() == '/') {
                g.pop_back();
                folder_only = true;
            }
            const bool anchored = g.find('/') != std::string::npos;
            if (anchored && g.front() == '/') g.erase(0, 1);
            if (g.empty()) continue;
            bool hit = false;
            for (std::size_t k = 0; k < ends.size() && !hit; ++k) {
                if (folder_only && k + 1 == ends.size()) break;
                const std::size_t begin = k == 0 ? 0 : ends[k - 1] + 1;
                const std::string target =
                    anchored ? inside.substr(0, ends[k]) : inside.substr(begin, ends[k] - begin);
                hit = ::fnmatch(g.c_str(), target.c_str(), FNM_PATHNAME) == 0;
            }
            if (hit) {
                out[i] = true;
                break;
            }
        }
    }
    return out;
}

}  // namespace mt::client
