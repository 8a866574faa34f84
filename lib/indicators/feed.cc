// Feed file dispatch by extension, directory expansion, and load timing. The readers live in
// their own files (stix_reader.cc, zeek_reader.cc, csv_reader.cc, clamav_reader.cc).
#include "indicators/feed.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "util/strings.h"

namespace gfi {
namespace {

std::string FormatOf(const std::string& path) {
  std::string ext = AsciiLowered(std::filesystem::path(path).extension().string());
  if (!ext.empty()) ext.erase(0, 1);
  return ext;
}

bool KnownFormat(const std::string& f) {
  return f == "json" || f == "intel" || f == "csv" || f == "hdb" || f == "hsb" || f == "blind";
}

}  // namespace

Feed ParseFeed(std::string_view text, std::string_view format, const std::string& path,
               const BlindKeyring* blind_keys) {
  Feed feed;
  feed.path = path;
  feed.name = std::filesystem::path(path).filename().string();
  auto start = std::chrono::steady_clock::now();
  if (format == "json") {
    ParseStixBundle(text, &feed);
  } else if (format == "intel") {
    ParseZeekIntel(text, &feed);
  } else if (format == "csv") {
    ParseCsvFeed(text, &feed);
  } else if (format == "hdb" || format == "hsb") {
    ParseClamAvHashes(text, format == "hsb", &feed);
  } else if (format == "blind") {
    ParseBlindFeed(text, blind_keys, &feed);
  } else {
    feed.errors.push_back(path + ": unknown feed format '" + std::string(format) +
                          "' (expected " + std::string(kFeedExtensions) + ")");
  }
  feed.load_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return feed;
}

Feed LoadFeed(const std::string& path, const FeedReadOptions& options) {
  return LoadFeedAs(path, path, options);
}

Feed LoadFeedAs(const std::string& file, const std::string& as_path,
                const FeedReadOptions& options) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    Feed feed;
    feed.path = as_path;
    feed.name = std::filesystem::path(as_path).filename().string();
    feed.errors.push_back(file + ": cannot open: " + std::strerror(errno));
    return feed;
  }
  // Read into a string of the file's size (a stringstream would hold the text twice over).
  std::string text;
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  in.seekg(0, std::ios::beg);
  if (size > 0) {
    text.resize(static_cast<size_t>(size));
    in.read(text.data(), size);
    text.resize(static_cast<size_t>(in.gcount()));
  } else if (size < 0) {  // not seekable (a pipe): read to its end
    in.clear();
    text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  if (in.bad() || (size > 0 && text.size() != static_cast<size_t>(size))) {
    Feed feed;
    feed.path = as_path;
    feed.name = std::filesystem::path(as_path).filename().string();
    feed.errors.push_back(file + ": read error: " + std::strerror(errno));
    return feed;
  }
  auto start = std::chrono::steady_clock::now();
  FeedSignature sig;
  if (options.signatures != nullptr) {
    sig = CheckFeedSignature(
        as_path, text,
        options.signature_path.empty() ? SignaturePathFor(file) : options.signature_path,
        *options.signatures);
    if (!sig.ok()) {
      Feed feed;
      feed.path = as_path;
      feed.name = std::filesystem::path(as_path).filename().string();
      feed.errors.push_back(sig.message);
      feed.signature = std::move(sig);
      return feed;
    }
  }
  Feed feed = ParseFeed(text, FormatOf(as_path), as_path, options.blind_keys);
  feed.signature = std::move(sig);
  feed.load_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return feed;
}

Result<std::vector<std::string>> ExpandFeedPaths(const std::vector<std::string>& paths,
                                                 std::vector<std::string>* skipped) {
  std::vector<std::string> out;
  for (const std::string& p : paths) {
    std::error_code ec;
    auto st = std::filesystem::status(p, ec);
    if (ec && ec != std::errc::no_such_file_or_directory)
      return Status::Error(p + ": " + ec.message());  // e.g. Permission denied
    if (ec || !std::filesystem::exists(st))
      return Status::Error(p + ": no such feed file or directory");
    if (std::filesystem::is_directory(st)) {
      std::vector<std::string> files;
      for (const auto& e : std::filesystem::directory_iterator(p, ec)) {
        if (!e.is_regular_file()) continue;
        std::string f = e.path().string();
        std::string name = e.path().filename().string();
        if (!name.empty() && name[0] == '.') continue;  // editor and rsync temporaries
        if (KnownFormat(FormatOf(f))) {
          files.push_back(f);
        } else if (skipped != nullptr && FormatOf(f) != "minisig") {
          skipped->push_back(f);
        }
      }
      if (ec) return Status::Error(p + ": " + ec.message());
      std::sort(files.begin(), files.end());
      out.insert(out.end(), files.begin(), files.end());
    } else {
      out.push_back(p);  // an explicitly named file is read whatever its extension says
    }
  }
  if (skipped != nullptr) std::sort(skipped->begin(), skipped->end());
  return out;
}

}  // namespace gfi
