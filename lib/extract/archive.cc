// Archive listing over libarchive, reading only from memory: every member is streamed block by
// block into the digests and charged to the message's ArchiveBudget, so neither a bomb, a quine nor
// a million tiny members can take more time or memory than the limits allow.
#include "extract/archive.h"

#include <archive.h>
#include <archive_entry.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <limits>
#include <memory>
#include <new>
#include <utility>

#include "global/vocabulary.h"

namespace gfi {
namespace {

constexpr size_t kBlockBytes = 64 * 1024;

// The smallest read near the ratio limit: the input a read consumes is what lets the member go on.
constexpr size_t kMinRatioRead = 4096;

// LooksLikeArchive needs this much of a member to see the iso9660 signature at 0x8001.
constexpr size_t kSniffBytes = 0x8001 + 5;

// What a skipped entry (directory, link, device) costs the byte budget. Skipping still parses a
// header, and in a compressed stream decompresses it, so an archive of millions of empty
// directories must run out of budget as a bomb does.
constexpr uint64_t kSkippedEntryCost = 512;

// Entries whose header libarchive cannot read, per archive, before we give up on it; without this a
// damaged central directory could yield one defect per entry.
constexpr int kMaxBadEntries = 16;

// Names come from the archive and can be megabytes long (pax headers); they end up in reports.
constexpr size_t kMaxNameBytes = 4096;

struct ArchiveFree {
  void operator()(archive* a) const { archive_read_free(a); }
};
using ArchivePtr = std::unique_ptr<archive, ArchiveFree>;

bool StartsWith(std::string_view data, size_t offset, std::string_view magic) {
  return data.size() >= offset + magic.size() && data.substr(offset, magic.size()) == magic;
}

char AsciiLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool EndsWithIgnoreCase(std::string_view s, std::string_view suffix) {
  if (s.size() < suffix.size()) return false;
  for (size_t i = 0; i < suffix.size(); ++i) {
    if (AsciiLower(s[s.size() - suffix.size() + i]) != suffix[i]) return false;
  }
  return true;
}

// Cuts `s` to at most kMaxNameBytes without splitting a UTF-8 sequence.
std::string BoundedName(std::string_view s) {
  if (s.size() <= kMaxNameBytes) return std::string(s);
  size_t n = kMaxNameBytes;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return std::string(s.substr(0, n));
}

std::string EntryName(archive_entry* entry) {
  if (entry == nullptr) return std::string();
  // The UTF-8 form is what reports and indicators use; it is NULL when the archive's charset
  // cannot be converted, and then the raw bytes are still better than nothing.
  const char* p = archive_entry_pathname_utf8(entry);
  if (p == nullptr) p = archive_entry_pathname(entry);
  if (p == nullptr) return std::string();
  return BoundedName(std::string_view(p, strnlen(p, kMaxNameBytes + 1)));
}

// The name of the single member of a bare compressed stream: the file name without its
// compression suffix ("report.pdf.gz" -> "report.pdf", "logs.tgz" -> "logs.tar").
std::string RawMemberName(std::string_view name) {
  if (size_t slash = name.find_last_of("/\\"); slash != std::string_view::npos) {
    name = name.substr(slash + 1);
  }
  static constexpr std::pair<std::string_view, std::string_view> kSuffixes[] = {
      {".tgz", ".tar"}, {".tbz2", ".tar"}, {".tbz", ".tar"}, {".txz", ".tar"}, {".tzst", ".tar"},
      {".gz", ""},      {".gzip", ""},     {".bz2", ""},     {".bz", ""},      {".xz", ""},
      {".lzma", ""},    {".lz", ""},       {".zst", ""},     {".lz4", ""},     {".z", ""},
  };
  for (const auto& [suffix, replacement] : kSuffixes) {
    if (EndsWithIgnoreCase(name, suffix) && name.size() > suffix.size()) {
      return BoundedName(name.substr(0, name.size() - suffix.size())) + std::string(replacement);
    }
  }
  return BoundedName(name);
}

bool MentionsEncryption(const char* error) {
  if (error == nullptr) return false;
  std::string_view e(error);
  return e.find("assphrase") != std::string_view::npos ||
         e.find("ncrypt") != std::string_view::npos || e.find("ecrypt") != std::string_view::npos;
}

std::string ErrorString(archive* a) {
  const char* e = archive_error_string(a);
  return e != nullptr ? BoundedName(e) : std::string("unknown error");
}

// Filters are enabled one by one rather than with support_filter_all: lrzip, grzip and lzop (and
// any library libarchive was built without) fall back to running an external program, which a
// milter must never do on hostile input.
void EnableFilters(archive* a) {
  if (archive_zlib_version() != nullptr) archive_read_support_filter_gzip(a);
  if (archive_bzlib_version() != nullptr) archive_read_support_filter_bzip2(a);
  if (archive_liblzma_version() != nullptr) {
    archive_read_support_filter_xz(a);
    archive_read_support_filter_lzma(a);
    archive_read_support_filter_lzip(a);
  }
  if (archive_libzstd_version() != nullptr) archive_read_support_filter_zstd(a);
  if (archive_liblz4_version() != nullptr) archive_read_support_filter_lz4(a);
  archive_read_support_filter_compress(a);
}

// support_format_all minus mtree, whose entries name files that libarchive then opens on the local
// disk (an attachment could make us read /etc/shadow or block on a FIFO), and minus raw, which
// accepts anything. warc is left out as not worth the attack surface.
void EnableFormats(archive* a) {
  archive_read_support_format_7zip(a);
  archive_read_support_format_ar(a);
  archive_read_support_format_cab(a);
  archive_read_support_format_cpio(a);
  archive_read_support_format_empty(a);
  archive_read_support_format_iso9660(a);
  archive_read_support_format_lha(a);
  archive_read_support_format_rar(a);
  archive_read_support_format_rar5(a);
  archive_read_support_format_tar(a);
  archive_read_support_format_xar(a);
  archive_read_support_format_zip(a);
}

// Returns nullptr only when libarchive cannot allocate a handle; open errors are left for the first
// archive_read_next_header to report.
ArchivePtr OpenReader(std::string_view data, bool raw) {
  ArchivePtr a(archive_read_new());
  if (a == nullptr) return a;
  EnableFilters(a.get());
  if (raw) {
    archive_read_support_format_raw(a.get());
  } else {
    EnableFormats(a.get());
  }
  static const char kEmpty[1] = {0};
  const void* p = data.empty() ? static_cast<const void*>(kEmpty) : data.data();
  archive_read_open_memory(a.get(), p, data.size());
  return a;
}

bool Filtered(archive* a) {
  return archive_filter_count(a) > 1 || archive_filter_code(a, 0) != ARCHIVE_FILTER_NONE;
}

// Formats whose skip over unread member data is a seek within our buffer. In the others (anything
// behind a compression filter, 7z and rar solid blocks, cab folders) libarchive skips by
// decompressing, out of reach of our byte budget, so we read the data ourselves instead.
bool SkipIsCheap(archive* a) {
  if (Filtered(a)) return false;
  switch (archive_format(a) & ARCHIVE_FORMAT_BASE_MASK) {
    case ARCHIVE_FORMAT_ZIP:
    case ARCHIVE_FORMAT_TAR:
    case ARCHIVE_FORMAT_CPIO:
    case ARCHIVE_FORMAT_AR:
    case ARCHIVE_FORMAT_ISO9660:
      return true;
    default:
      return false;
  }
}

uint64_t SaturatingMul(uint64_t a, uint64_t b) {
  if (a != 0 && b > std::numeric_limits<uint64_t>::max() / a) {
    return std::numeric_limits<uint64_t>::max();
  }
  return a * b;
}

// Reads one archive level and recurses into nested archives. One Reader serves one ReadArchive
// call; `stopped_` lets an exhausted budget deep in the recursion end every level above it.
class Reader {
 public:
  Reader(const AnalysisLimits& limits, ArchiveBudget* budget, ArchiveListing* out)
      : limits_(limits), budget_(budget), out_(out) {}

  // `label` names this archive in defects; `prefix` is prepended to its member names.
  bool ReadLevel(std::string_view data, std::string_view name, const std::string& label,
                 const std::string& prefix, int depth);

 private:
  enum class Cut { kNone, kRatio, kBudget, kError };

  struct DataResult {
    uint64_t bytes = 0;
    Cut cut = Cut::kNone;
    la_ssize_t status = ARCHIVE_OK;  // libarchive's code when cut == kError
    std::string nested;              // the member's bytes, when it is an archive to open
    bool nested_too_deep = false;
  };

  DataResult ReadData(archive* a, int depth, DigestBuilder* digest);
  // What the member being read may expand to, `consumed` compressed bytes read for it so far.
  uint64_t RatioCap(uint64_t consumed) const {
    if (limits_.max_archive_ratio == 0) return std::numeric_limits<uint64_t>::max();  // off
    uint64_t cap = SaturatingMul(consumed, limits_.max_archive_ratio);
    return cap > std::numeric_limits<uint64_t>::max() - budget_->ratio_allowance_left
               ? std::numeric_limits<uint64_t>::max()
               : cap + budget_->ratio_allowance_left;
  }
  bool Drain(archive* a);
  // Limits are named like the [limits] options they reach ("limit.archive_ratio"), so that one
  // policy rule ("limit.*") covers every way a message was read only in part.
  void Defect(std::string_view code, std::string_view detail) {
    std::string d;
    if (code == "member_limit") d = ToString(Limit::kArchiveMembers);
    else if (code == "size_limit") d = ToString(Limit::kArchiveBytes);
    else if (code == "ratio_limit") d = ToString(Limit::kArchiveRatio);
    else if (code == "depth_limit") d = ToString(Limit::kArchiveDepth);
    else d = "archive." + std::string(code);
    d += ": ";
    d += detail;
    out_->defects.push_back(std::move(d));
  }

  // Spends one member from the budget; false, with a defect, when none is left.
  bool TakeMember(const std::string& name) {
    if (budget_->members_left == 0) {
      Defect("member_limit", "more than " + std::to_string(limits_.max_archive_members) +
                                 " archive members; stopped at " + name);
      stopped_ = true;
      return false;
    }
    --budget_->members_left;
    return true;
  }

  // Charges a skipped entry; false when that empties the byte budget.
  bool ChargeSkip() {
    if (budget_->bytes_left < kSkippedEntryCost) {
      budget_->bytes_left = 0;
      return false;
    }
    budget_->bytes_left -= kSkippedEntryCost;
    return true;
  }

  const AnalysisLimits& limits_;
  ArchiveBudget* budget_;
  ArchiveListing* out_;
  std::unique_ptr<char[]> block_ = std::make_unique<char[]>(kBlockBytes);
  bool stopped_ = false;
};

// The compressed size of a member is not in the entry (zip's is, most formats' is not): it is the
// growth of libarchive's count of bytes read from our buffer (the last filter) while the member's
// data is read. Formats that decompress ahead (solid 7z and rar blocks, a compression filter)
// charge their look-ahead to the member that triggered it.
Reader::DataResult Reader::ReadData(archive* a, int depth, DigestBuilder* digest) {
  DataResult r;
  const la_int64_t in_start = archive_filter_bytes(a, -1);
  auto consumed = [&]() -> uint64_t {
    la_int64_t now = archive_filter_bytes(a, -1);
    return now > in_start ? static_cast<uint64_t>(now - in_start) : 0;
  };
  // Every member is sniffed (so that an archive too deep to open is still reported); only one that
  // will be opened is kept whole, and that copy is bounded by the byte budget it is charged to.
  enum class Keep { kSniff, kAll, kNone } keep = Keep::kSniff;
  auto decide = [&] {
    if (!LooksLikeArchive(r.nested)) {
      keep = Keep::kNone;
    } else if (depth < limits_.max_archive_depth) {
      keep = Keep::kAll;
      return;
    } else {
      r.nested_too_deep = true;
      keep = Keep::kNone;
    }
    std::string().swap(r.nested);
  };
  for (;;) {
    // One byte past the budget tells a member that ends exactly at the limit from one that goes
    // on; that byte is neither hashed nor charged. The ratio is checked after each block, against
    // the input that block consumed: at most one block past it is decompressed.
    const uint64_t budget = budget_->bytes_left;
    size_t want = budget >= kBlockBytes ? kBlockBytes : static_cast<size_t>(budget) + 1;
    // Near the ratio, ask for little more than it allows: a bomb member then costs a few KiB of
    // inflating, not a whole block, once the allowance is spent.
    const uint64_t cap_before = RatioCap(consumed());
    const uint64_t room_before = cap_before > r.bytes ? cap_before - r.bytes : 0;
    if (room_before < want)
      want = std::min(want, std::max<size_t>(kMinRatioRead, static_cast<size_t>(room_before) + 1));
    la_ssize_t n = archive_read_data(a, block_.get(), want);
    if (n == 0) break;
    if (n < 0) {
      r.cut = Cut::kError;
      r.status = n;
      break;
    }
    const uint64_t cap = RatioCap(consumed());
    const uint64_t ratio_room = cap > r.bytes ? cap - r.bytes : 0;
    const bool budget_binds = budget <= ratio_room;
    const uint64_t allowed = budget_binds ? budget : ratio_room;
    size_t take = static_cast<size_t>(std::min<uint64_t>(static_cast<uint64_t>(n), allowed));
    std::string_view got(block_.get(), take);
    digest->Update(got);
    budget_->bytes_left -= take;
    r.bytes += take;
    if (keep != Keep::kNone) {
      r.nested.append(got);
      if (keep == Keep::kSniff && r.nested.size() >= kSniffBytes) decide();
    }
    if (static_cast<uint64_t>(n) > allowed) {
      r.cut = budget_binds ? Cut::kBudget : Cut::kRatio;
      break;
    }
  }
  if (keep == Keep::kSniff) decide();
  if (r.cut != Cut::kNone) std::string().swap(r.nested);
  // What the member took beyond its own ratio is spent from the message's allowance.
  if (limits_.max_archive_ratio != 0) {
    const uint64_t own = SaturatingMul(consumed(), limits_.max_archive_ratio);
    if (r.bytes > own)
      budget_->ratio_allowance_left -= std::min(r.bytes - own, budget_->ratio_allowance_left);
  }
  return r;
}

// Reads and discards the rest of the current entry's data, charging it to the budget, where
// letting libarchive skip it would decompress an unbounded amount. False when the budget ran out.
bool Reader::Drain(archive* a) {
  for (;;) {
    uint64_t left = budget_->bytes_left;
    size_t want = left >= kBlockBytes ? kBlockBytes : static_cast<size_t>(left) + 1;
    la_ssize_t n = archive_read_data(a, block_.get(), want);
    if (n <= 0) return true;  // errors surface again at the next header
    if (static_cast<uint64_t>(n) > budget_->bytes_left) {
      budget_->bytes_left = 0;
      return false;
    }
    budget_->bytes_left -= static_cast<uint64_t>(n);
  }
}

bool Reader::ReadLevel(std::string_view data, std::string_view name, const std::string& label,
                       const std::string& prefix, int depth) {
  ArchivePtr a = OpenReader(data, /*raw=*/false);
  if (a == nullptr) {
    Defect("corrupt", label + ": libarchive out of memory");
    return false;
  }
  archive_entry* entry = nullptr;
  int status = archive_read_next_header(a.get(), &entry);
  const bool format_found = archive_format(a.get()) != 0;
  const bool empty =
      format_found && (archive_format(a.get()) & ARCHIVE_FORMAT_BASE_MASK) == ARCHIVE_FORMAT_EMPTY;
  bool raw = false;
  if (!format_found || status == ARCHIVE_EOF) {
    if (!Filtered(a.get())) {
      // Not ours, and a defect only when it claimed to be; an empty zip or tar is still an archive.
      if (!format_found && LooksLikeArchive(data)) {
        Defect("corrupt", label + ": " + ErrorString(a.get()));
      }
      return format_found && !empty;
    }
    // A compression filter over no format, or over a "format" without entries (tar takes a
    // compressed disk image starting with zero blocks for an empty archive): a bare compressed
    // file such as report.pdf.gz, read again as one raw member. The raw format refuses an empty
    // stream, whose one member is then simply empty.
    if (empty) {
      ArchiveMember m;
      m.name = prefix + RawMemberName(name);
      m.depth = depth;
      if (!TakeMember(m.name)) return true;
      m.digests = ComputeDigests("");
      out_->members.push_back(std::move(m));
      return true;
    }
    a = OpenReader(data, /*raw=*/true);
    if (a == nullptr) {
      Defect("corrupt", label + ": libarchive out of memory");
      return false;
    }
    raw = true;
    status = archive_read_next_header(a.get(), &entry);
  }

  int bad_entries = 0;
  int retries = 0;
  for (bool first = true; !stopped_; first = false) {
    if (!first) status = archive_read_next_header(a.get(), &entry);
    if (status == ARCHIVE_EOF) break;
    if (status == ARCHIVE_RETRY && ++retries <= kMaxBadEntries) continue;
    if (status == ARCHIVE_FATAL || status == ARCHIVE_RETRY) {
      const char* err = archive_error_string(a.get());
      Defect(MentionsEncryption(err) ? "encrypted" : "corrupt",
             label + ": " + ErrorString(a.get()));
      break;
    }
    if (status == ARCHIVE_FAILED) {
      // This entry is unreadable but libarchive can go on to the next one.
      std::string member = prefix + (raw ? RawMemberName(name) : EntryName(entry));
      const char* err = archive_error_string(a.get());
      Defect(MentionsEncryption(err) ? "encrypted" : "corrupt",
             member + ": " + ErrorString(a.get()));
      if (++bad_entries > kMaxBadEntries || !ChargeSkip()) break;
      continue;
    }
    // ARCHIVE_OK, or ARCHIVE_WARN (typically a name libarchive could not convert): usable.

    const bool cheap_skip = SkipIsCheap(a.get());
    // Hard links carry no data of their own; the target is (or was) read as a member. A file type
    // of 0 is what ar (and some cpio writers) record for plain files.
    const unsigned int type = archive_entry_filetype(entry);
    if (!raw && ((type != 0 && type != AE_IFREG) || archive_entry_hardlink(entry) != nullptr)) {
      if (!ChargeSkip() || (!cheap_skip && !Drain(a.get()))) {
        Defect("size_limit", label + ": more than " + std::to_string(limits_.max_archive_bytes) +
                                 " bytes expanded from archives");
        stopped_ = true;
      }
      continue;
    }

    ArchiveMember m;
    m.name = prefix + (raw ? RawMemberName(name) : EntryName(entry));
    m.depth = depth;
    if (!TakeMember(m.name)) break;

    if (archive_entry_is_data_encrypted(entry)) {
      // We hold no passphrase; the name is all an encrypted member gives away.
      Defect("encrypted", m.name);
      out_->members.push_back(std::move(m));
      continue;
    }

    DigestBuilder digest;
    DataResult data_read = ReadData(a.get(), depth, &digest);
    m.size = data_read.bytes;
    // A digest is of the whole member or nothing: the hash of a prefix would be reported, and
    // searched for, as if it were the file's.
    if (data_read.cut == Cut::kNone) m.digests = digest.Finish();
    std::string member_name = m.name;
    out_->members.push_back(std::move(m));

    switch (data_read.cut) {
      case Cut::kNone:
        break;
      case Cut::kBudget:
        Defect("size_limit", member_name + " cut after " + std::to_string(data_read.bytes) +
                                 " bytes; more than " + std::to_string(limits_.max_archive_bytes) +
                                 " bytes expanded from archives");
        stopped_ = true;
        return true;
      case Cut::kRatio:
        Defect("ratio_limit", "member " + member_name + " exceeds " +
                                  std::to_string(limits_.max_archive_ratio) + ":1");
        // Going on would mean libarchive decompressing the rest of the bomb to find the next
        // header; only formats that seek past it are worth continuing.
        if (!cheap_skip) return true;
        continue;
      case Cut::kError: {
        const char* err = archive_error_string(a.get());
        bool encrypted = MentionsEncryption(err);
        Defect(encrypted ? "encrypted" : "corrupt",
               encrypted ? member_name : member_name + ": " + ErrorString(a.get()));
        if (data_read.status == ARCHIVE_FATAL) return true;
        continue;
      }
    }

    if (data_read.nested_too_deep) {
      Defect("depth_limit", member_name + " is an archive nested deeper than " +
                                std::to_string(limits_.max_archive_depth));
    } else if (!data_read.nested.empty()) {
      ReadLevel(data_read.nested, member_name, member_name, member_name + "!/", depth + 1);
    }
  }
  return true;
}

// A zip's end-of-central-directory record within the last 64 KiB (its comment's maximum) whose
// comment fits in what follows, as Python's zipfile looks for it (unzip likewise). A zip with bytes
// before its first local header (a self-extractor's stub, a junk byte) starts with no magic but
// is listed by both, and by libarchive's seeking zip reader.
bool HasZipEndRecord(std::string_view data) {
  constexpr size_t kRecordBytes = 22;
  if (data.size() < kRecordBytes) return false;
  const size_t lowest =
      data.size() > kRecordBytes + 0xFFFF ? data.size() - kRecordBytes - 0xFFFF : 0;
  for (size_t at = data.size() - kRecordBytes + 1; at-- > lowest;) {
    if (data[at] != 'P' || data.compare(at, 4, "PK\x05\x06") != 0) continue;
    const size_t comment = static_cast<unsigned char>(data[at + 20]) |
                           static_cast<size_t>(static_cast<unsigned char>(data[at + 21])) << 8;
    if (at + kRecordBytes + comment <= data.size()) return true;
  }
  return false;
}

}  // namespace

bool LooksLikeArchive(std::string_view data) {
  using namespace std::string_view_literals;
  static constexpr std::array<std::string_view, 16> kMagicAtStart = {
      "PK\x03\x04"sv,                // zip
      "PK\x05\x06"sv,                // empty zip
      "PK\x07\x08"sv,                // spanned zip
      "7z\xBC\xAF\x27\x1C"sv,        // 7z
      "Rar!\x1A\x07"sv,              // rar 4 (then \0) and rar 5 (then \1\0)
      "\x1F\x8B"sv,                  // gzip
      "\xFD\x37\x7A\x58\x5A\x00"sv,  // xz
      "MSCF\0\0\0\0"sv,              // cab, reserved field is zero
      "070707"sv,                    // cpio odc
      "070701"sv,                    // cpio newc
      "070702"sv,                    // cpio newc with crc
      "!<arch>\n"sv,                 // ar
      "\x28\xB5\x2F\xFD"sv,          // zstd
      "\x04\x22\x4D\x18"sv,          // lz4
      "LZIP"sv,                      // lzip
      "xar!"sv,                      // xar
  };
  for (std::string_view magic : kMagicAtStart) {
    if (StartsWith(data, 0, magic)) return true;
  }
  // "BZh" alone starts ordinary words; the block size digit makes it a bzip2 header.
  if (StartsWith(data, 0, "BZh") && data.size() > 3 && data[3] >= '1' && data[3] <= '9') {
    return true;
  }
  // lha: "-lh5-" or similar at offset 2.
  if (data.size() >= 7 && data.substr(2, 3) == "-lh" && data[6] == '-') return true;
  if (StartsWith(data, 257, "ustar")) return true;     // tar, POSIX and GNU
  if (StartsWith(data, 0x8001, "CD001")) return true;  // iso9660 primary volume descriptor
  return HasZipEndRecord(data);
}

ArchiveListing ReadArchive(std::string_view data, std::string_view name,
                           const AnalysisLimits& limits, ArchiveBudget* budget) {
  ArchiveListing out;
  Reader reader(limits, budget, &out);
  std::string label = name.empty() ? std::string("archive") : BoundedName(name);
  try {
    out.is_archive = reader.ReadLevel(data, name, label, std::string(), 1);
  } catch (const std::bad_alloc&) {
    // Keep what was listed; the caller still sees that this archive was not fully read.
    out.defects.push_back(std::string(ToString(Limit::kArchiveBytes)) + ": out of memory reading " +
                          label);
  }
  return out;
}

}  // namespace gfi
