#include "extract/archive.h"

#include <archive.h>
#include <archive_entry.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

namespace gfi {
namespace {

struct TestFile {
  std::string name;
  std::string data;
  bool directory = false;
  std::string symlink = {};  // target; makes the entry a symbolic link
};

struct WriteOptions {
  int format = ARCHIVE_FORMAT_ZIP;   // or ARCHIVE_FORMAT_TAR_PAX_RESTRICTED, ARCHIVE_FORMAT_RAW
  int filter = ARCHIVE_FILTER_NONE;  // or ARCHIVE_FILTER_GZIP
  const char* options = nullptr;     // archive_write_set_options
  const char* passphrase = nullptr;
};

la_ssize_t AppendToString(archive*, void* client, const void* buf, size_t n) {
  static_cast<std::string*>(client)->append(static_cast<const char*>(buf), n);
  return static_cast<la_ssize_t>(n);
}

// Builds an archive in memory with libarchive's writer, so the tests need no binary fixtures.
std::string MakeArchive(const std::vector<TestFile>& files, const WriteOptions& opt = {}) {
  std::string out;
  archive* a = archive_write_new();
  REQUIRE(a != nullptr);
  REQUIRE(archive_write_set_format(a, opt.format) == ARCHIVE_OK);
  if (opt.filter != ARCHIVE_FILTER_NONE)
    REQUIRE(archive_write_add_filter(a, opt.filter) == ARCHIVE_OK);
  if (opt.options != nullptr) REQUIRE(archive_write_set_options(a, opt.options) == ARCHIVE_OK);
  if (opt.passphrase != nullptr)
    REQUIRE(archive_write_set_passphrase(a, opt.passphrase) == ARCHIVE_OK);
  archive_write_set_bytes_in_last_block(a, 1);  // no padding to 10 KiB blocks
  REQUIRE(archive_write_open(a, &out, nullptr, AppendToString, nullptr) == ARCHIVE_OK);
  for (const TestFile& f : files) {
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname_utf8(e, f.name.c_str());
    bool plain = !f.directory && f.symlink.empty();
    archive_entry_set_filetype(e, f.directory ? AE_IFDIR : plain ? AE_IFREG : AE_IFLNK);
    if (!f.symlink.empty()) archive_entry_set_symlink(e, f.symlink.c_str());
    archive_entry_set_perm(e, plain ? 0644 : 0755);
    archive_entry_set_size(e, plain ? static_cast<la_int64_t>(f.data.size()) : 0);
    REQUIRE(archive_write_header(a, e) == ARCHIVE_OK);
    if (plain && !f.data.empty()) {
      REQUIRE(archive_write_data(a, f.data.data(), f.data.size()) ==
              static_cast<la_ssize_t>(f.data.size()));
    }
    archive_entry_free(e);
  }
  REQUIRE(archive_write_close(a) == ARCHIVE_OK);
  archive_write_free(a);
  return out;
}

// Deterministic bytes that deflate cannot shrink, so ratio limits stay out of the way.
std::string Noise(size_t n, uint32_t seed) {
  std::string s(n, '\0');
  uint32_t x = seed * 2654435761u + 1;
  for (char& c : s) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    c = static_cast<char>(x);
  }
  return s;
}

ArchiveBudget BudgetFor(const AnalysisLimits& limits) {
  return ArchiveBudget{limits.max_archive_members, limits.max_archive_bytes};
}

const ArchiveMember* Find(const ArchiveListing& l, const std::string& name) {
  for (const ArchiveMember& m : l.members) {
    if (m.name == name) return &m;
  }
  return nullptr;
}

bool HasDefect(const ArchiveListing& l, const std::string& prefix) {
  for (const std::string& d : l.defects) {
    if (d.rfind(prefix, 0) == 0) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("LooksLikeArchive recognises the magic of every format we expand") {
  CHECK(LooksLikeArchive(std::string("PK\x03\x04rest", 8)));
  CHECK(LooksLikeArchive(std::string("PK\x05\x06", 4)));
  CHECK(LooksLikeArchive(std::string("PK\x07\x08PK\x03\x04", 8)));
  CHECK(LooksLikeArchive(std::string("7z\xBC\xAF\x27\x1C\x00\x04", 8)));
  CHECK(LooksLikeArchive(std::string("Rar!\x1A\x07\x00", 7)));
  CHECK(LooksLikeArchive(std::string("Rar!\x1A\x07\x01\x00", 8)));
  CHECK(LooksLikeArchive(std::string("\x1F\x8B\x08\x00", 4)));
  CHECK(LooksLikeArchive("BZh91AY&SY"));
  CHECK(
      LooksLikeArchive(std::string("\xFD"
                                   "7zXZ\x00\x00",
                                   7)));
  CHECK(LooksLikeArchive(std::string("MSCF\0\0\0\0", 8)));
  CHECK(LooksLikeArchive("070707000000"));
  CHECK(LooksLikeArchive("070701000000"));
  CHECK(LooksLikeArchive("!<arch>\nfoo"));
  CHECK(LooksLikeArchive(std::string("\x28\xB5\x2F\xFD", 4)));
  std::string tar(512, '\0');
  tar.replace(257, 6, std::string("ustar\0", 6));
  CHECK(LooksLikeArchive(tar));
  std::string iso(0x8800, '\0');
  iso.replace(0x8001, 5, "CD001");
  CHECK(LooksLikeArchive(iso));

  CHECK_FALSE(LooksLikeArchive(""));
  CHECK_FALSE(LooksLikeArchive("PK"));
  CHECK_FALSE(LooksLikeArchive("Hello, this is plain text.\n"));
  CHECK_FALSE(LooksLikeArchive("BZhonga is not bzip2"));
  CHECK_FALSE(LooksLikeArchive(std::string(600, ' ')));
  CHECK_FALSE(LooksLikeArchive(std::string("%PDF-1.7\n", 9)));
}

TEST_CASE("zip members are listed with names, sizes and digests; directories are skipped") {
  std::string readme = "read me first\n";
  std::string report = Noise(70000, 1);  // more than one 64 KiB block
  std::string zip = MakeArchive(
      {{"readme.txt", readme}, {"docs/", "", /*directory=*/true}, {"docs/report.pdf", report}});
  AnalysisLimits limits;
  ArchiveBudget budget = BudgetFor(limits);
  ArchiveListing l = ReadArchive(zip, "docs.zip", limits, &budget);

  CHECK(l.is_archive);
  CHECK(l.defects.empty());
  REQUIRE(l.members.size() == 2);
  CHECK(l.members[0].name == "readme.txt");
  CHECK(l.members[1].name == "docs/report.pdf");
  Digests want = ComputeDigests(report);
  CHECK(l.members[1].size == report.size());
  CHECK(l.members[1].digests.sha256 == want.sha256);
  CHECK(l.members[1].digests.sha1 == want.sha1);
  CHECK(l.members[1].digests.md5 == want.md5);
  CHECK(l.members[0].digests.sha256 == ComputeDigests(readme).sha256);
  CHECK(l.members[0].depth == 1);
  // Both members spent from the message's budget; the directory only its nominal entry cost.
  CHECK(budget.members_left == limits.max_archive_members - 2);
  CHECK(budget.bytes_left < limits.max_archive_bytes - readme.size() - report.size() + 1);
  CHECK(budget.bytes_left >= limits.max_archive_bytes - readme.size() - report.size() - 4096);
}

TEST_CASE("member names keep their UTF-8") {
  std::string zip = MakeArchive({{"r\xC3\xA9sum\xC3\xA9.txt", "cv"}});
  AnalysisLimits limits;
  ArchiveBudget budget = BudgetFor(limits);
  ArchiveListing l = ReadArchive(zip, "cv.zip", limits, &budget);
  REQUIRE(l.members.size() == 1);
  CHECK(l.members[0].name == "r\xC3\xA9sum\xC3\xA9.txt");
}

TEST_CASE("tar.gz members are listed") {
  std::string a = "alpha\n", b = Noise(100000, 2);
  std::string tgz = MakeArchive({{"dir/", "", true}, {"dir/a.txt", a}, {"b.bin", b}},
                                {ARCHIVE_FORMAT_TAR_PAX_RESTRICTED, ARCHIVE_FILTER_GZIP});
  REQUIRE(LooksLikeArchive(tgz));
  AnalysisLimits limits;
  ArchiveBudget budget = BudgetFor(limits);
  ArchiveListing l = ReadArchive(tgz, "x.tgz", limits, &budget);
  CHECK(l.is_archive);
  CHECK(l.defects.empty());
  REQUIRE(l.members.size() == 2);
  CHECK(l.members[0].name == "dir/a.txt");
  CHECK(l.members[0].digests.sha256 == ComputeDigests(a).sha256);
  CHECK(l.members[1].name == "b.bin");
  CHECK(l.members[1].size == b.size());
  CHECK(l.members[1].digests.sha256 == ComputeDigests(b).sha256);
}

TEST_CASE("a bare gzip stream is one member named after the file without .gz") {
  std::string pdf = "%PDF-1.4 not really a pdf\n" + Noise(5000, 3);
  std::string gz = MakeArchive({{"ignored", pdf}}, {ARCHIVE_FORMAT_RAW, ARCHIVE_FILTER_GZIP});
  AnalysisLimits limits;
  ArchiveBudget budget = BudgetFor(limits);

  ArchiveListing l = ReadArchive(gz, "report.pdf.gz", limits, &budget);
  CHECK(l.is_archive);
  CHECK(l.defects.empty());
  REQUIRE(l.members.size() == 1);
  CHECK(l.members[0].name == "report.pdf");
  CHECK(l.members[0].size == pdf.size());
  CHECK(l.members[0].digests.sha256 == ComputeDigests(pdf).sha256);

  ArchiveListing upper = ReadArchive(gz, "REPORT.PDF.GZ", limits, &budget);
  REQUIRE(upper.members.size() == 1);
  CHECK(upper.members[0].name == "REPORT.PDF");

  // A gzip of text that is not an archive is still a member, never an error.
  std::string text_gz =
      MakeArchive({{"x", "just text\n"}}, {ARCHIVE_FORMAT_RAW, ARCHIVE_FILTER_GZIP});
  ArchiveListing t = ReadArchive(text_gz, "notes.txt.gz", limits, &budget);
  REQUIRE(t.members.size() == 1);
  CHECK(t.members[0].name == "notes.txt");
  CHECK(t.members[0].digests.md5 == ComputeDigests("just text\n").md5);
}

TEST_CASE("an empty gzip stream is one empty member") {
  std::string gz = MakeArchive({{"x", ""}}, {ARCHIVE_FORMAT_RAW, ARCHIVE_FILTER_GZIP});
  AnalysisLimits limits;
  ArchiveBudget budget = BudgetFor(limits);
  ArchiveListing l = ReadArchive(gz, "empty.log.gz", limits, &budget);
  CHECK(l.is_archive);
  CHECK(l.defects.empty());
  REQUIRE(l.members.size() == 1);
  CHECK(l.members[0].name == "empty.log");
  CHECK(l.members[0].size == 0);
  CHECK(l.members[0].digests.md5 == "d41d8cd98f00b204e9800998ecf8427e");
  CHECK(budget.members_left == limits.max_archive_members - 1);
}

TEST_CASE("an archive without entries is an archive with no members") {
  std::string zip = MakeArchive({});
  AnalysisLimits limits;
  ArchiveBudget budget = BudgetFor(limits);
  ArchiveListing l = ReadArchive(zip, "none.zip", limits, &budget);
  CHECK(l.is_archive);
  CHECK(l.members.empty());
  CHECK(l.defects.empty());
}

TEST_CASE("links and directories in a tar are not members") {
  std::string tar = MakeArchive(
      {{"bin/", "", true}, {"bin/tool", "#!/bin/sh\n"}, {"bin/alias", "", false, "tool"}},
      {ARCHIVE_FORMAT_TAR_PAX_RESTRICTED});
  AnalysisLimits limits;
  ArchiveBudget budget = BudgetFor(limits);
  ArchiveListing l = ReadArchive(tar, "t.tar", limits, &budget);
  REQUIRE(l.members.size() == 1);
  CHECK(l.members[0].name == "bin/tool");
  CHECK(l.defects.empty());
}

TEST_CASE("skipped entries still spend the byte budget") {
  // Thousands of empty directories compress to almost nothing; they must not be free to walk.
  std::vector<TestFile> dirs;
  for (int i = 0; i < 5000; ++i) dirs.push_back({"d" + std::to_string(i) + "/", "", true});
  dirs.push_back({"last.txt", "last"});
  std::string tgz = MakeArchive(dirs, {ARCHIVE_FORMAT_TAR_PAX_RESTRICTED, ARCHIVE_FILTER_GZIP});
  AnalysisLimits limits;
  ArchiveBudget budget{limits.max_archive_members, 100000};
  ArchiveListing l = ReadArchive(tgz, "dirs.tgz", limits, &budget);
  CHECK(l.members.empty());
  CHECK(budget.bytes_left == 0);
  CHECK(HasDefect(l, "limit.archive_bytes: dirs.tgz"));

  budget = BudgetFor(limits);
  ArchiveListing all = ReadArchive(tgz, "dirs.tgz", limits, &budget);
  REQUIRE(all.members.size() == 1);
  CHECK(all.members[0].name == "last.txt");
}

TEST_CASE("a gzip file inside a zip is opened as one nested member") {
  std::string log = "GET /index.html\n";
  std::string gz = MakeArchive({{"x", log}}, {ARCHIVE_FORMAT_RAW, ARCHIVE_FILTER_GZIP});
  std::string zip = MakeArchive({{"logs/app.log.gz", gz}});
  AnalysisLimits limits;
  ArchiveBudget budget = BudgetFor(limits);
  ArchiveListing l = ReadArchive(zip, "logs.zip", limits, &budget);
  CHECK(l.defects.empty());
  const ArchiveMember* inner = Find(l, "logs/app.log.gz!/app.log");
  REQUIRE(inner != nullptr);
  CHECK(inner->depth == 2);
  CHECK(inner->digests.sha256 == ComputeDigests(log).sha256);
}

TEST_CASE("a zip inside a zip is opened and its members named outer!/inner") {
  std::string x = "inner text\n";
  std::string inner = MakeArchive({{"x.txt", x}});
  std::string outer = MakeArchive({{"a.zip", inner}, {"top.txt", "top\n"}});
  AnalysisLimits limits;
  ArchiveBudget budget = BudgetFor(limits);
  ArchiveListing l = ReadArchive(outer, "outer.zip", limits, &budget);

  CHECK(l.defects.empty());
  REQUIRE(l.members.size() == 3);
  const ArchiveMember* a = Find(l, "a.zip");
  const ArchiveMember* nested = Find(l, "a.zip!/x.txt");
  REQUIRE(a != nullptr);
  REQUIRE(nested != nullptr);
  CHECK(a->depth == 1);
  CHECK(a->digests.sha256 == ComputeDigests(inner).sha256);  // the nested archive is a member too
  CHECK(nested->depth == 2);
  CHECK(nested->digests.sha256 == ComputeDigests(x).sha256);
  CHECK(Find(l, "top.txt") != nullptr);
}

TEST_CASE("archives nested deeper than max_archive_depth are reported, not opened") {
  std::string z4 = MakeArchive({{"deep.txt", "deep\n"}});
  std::string z3 = MakeArchive({{"z4.zip", z4}});
  std::string z2 = MakeArchive({{"z3.zip", z3}});
  std::string z1 = MakeArchive({{"z2.zip", z2}});
  AnalysisLimits limits;  // max_archive_depth = 3
  ArchiveBudget budget = BudgetFor(limits);
  ArchiveListing l = ReadArchive(z1, "z1.zip", limits, &budget);

  const ArchiveMember* m3 = Find(l, "z2.zip!/z3.zip!/z4.zip");
  REQUIRE(m3 != nullptr);
  CHECK(m3->depth == 3);
  CHECK_FALSE(m3->digests.sha256.empty());
  CHECK(Find(l, "z2.zip!/z3.zip!/z4.zip!/deep.txt") == nullptr);
  CHECK(l.members.size() == 3);
  REQUIRE(l.defects.size() == 1);
  CHECK(l.defects[0].rfind("limit.archive_depth: z2.zip!/z3.zip!/z4.zip", 0) == 0);

  limits.max_archive_depth = 1;
  budget = BudgetFor(limits);
  ArchiveListing flat = ReadArchive(z1, "z1.zip", limits, &budget);
  REQUIRE(flat.members.size() == 1);
  CHECK(flat.members[0].name == "z2.zip");
  CHECK(HasDefect(flat, "limit.archive_depth: z2.zip"));
}

TEST_CASE("a zip quine-like nesting stays within depth and budget") {
  // Each level holds the previous one twice: 2^depth members unless the limits stop it.
  std::string level = MakeArchive({{"leaf.txt", "leaf"}});
  for (int i = 0; i < 8; ++i) level = MakeArchive({{"a.zip", level}, {"b.zip", level}});
  AnalysisLimits limits;
  limits.max_archive_members = 10;  // the depth limit alone would allow 2 + 4 + 8
  ArchiveBudget budget = BudgetFor(limits);
  ArchiveListing l = ReadArchive(level, "q.zip", limits, &budget);
  CHECK(l.members.size() == 10);
  CHECK(budget.members_left == 0);
  CHECK(HasDefect(l, "limit.archive_members"));
  for (const ArchiveMember& m : l.members) CHECK(m.depth <= limits.max_archive_depth);
}

TEST_CASE("the member budget is shared across calls and stops reading") {
  std::vector<TestFile> files;
  for (int i = 0; i < 5; ++i) files.push_back({"f" + std::to_string(i) + ".txt", "x"});
  std::string zip = MakeArchive(files);
  AnalysisLimits limits;
  ArchiveBudget budget{3, limits.max_archive_bytes};
  ArchiveListing l = ReadArchive(zip, "many.zip", limits, &budget);
  CHECK(l.members.size() == 3);
  CHECK(budget.members_left == 0);
  REQUIRE(l.defects.size() == 1);
  CHECK(l.defects[0] == "limit.archive_members: more than 1000 archive members; stopped at f3.txt");

  ArchiveListing again = ReadArchive(zip, "many.zip", limits, &budget);
  CHECK(again.members.empty());
  CHECK(HasDefect(again, "limit.archive_members"));
}

TEST_CASE("a member expanding beyond the ratio limit is cut, and reading goes on in a zip") {
  std::string zeros(10 << 20, '\0');
  std::string zip = MakeArchive({{"zeros.bin", zeros}, {"after.txt", "after\n"}});
  REQUIRE(zip.size() < 100000);  // deflate shrinks it about 1000:1
  AnalysisLimits limits;
  limits.max_archive_ratio = 100;
  ArchiveBudget budget = BudgetFor(limits);
  ArchiveListing l = ReadArchive(zip, "bomb.zip", limits, &budget);

  const ArchiveMember* bomb = Find(l, "zeros.bin");
  REQUIRE(bomb != nullptr);
  CHECK(bomb->size < zeros.size());
  // Its own compressed bytes times the ratio, the shared allowance, and at most one block more.
  CHECK(bomb->size <= 100 * zip.size() + kRatioAllowanceBytes + 65536);
  CHECK(bomb->size >= kRatioAllowanceBytes);
  CHECK(bomb->digests.sha256.empty());  // a prefix's hash is not the member's
  CHECK(budget.bytes_left == limits.max_archive_bytes - bomb->size - 6);
  CHECK(budget.ratio_allowance_left == 0);
  REQUIRE(l.defects.size() == 1);
  CHECK(l.defects[0] == "limit.archive_ratio: member zeros.bin exceeds 100:1");
  const ArchiveMember* after = Find(l, "after.txt");
  REQUIRE(after != nullptr);
  CHECK(after->digests.sha256 == ComputeDigests("after\n").sha256);
}

// Text that deflate shrinks about 3:1, as ordinary documents do.
std::string Prose(size_t n, uint32_t seed) {
  static const char* const kWords[] = {"invoice ", "the ", "payment ", "of ", "shipment ",
                                       "quarterly ", "report\n", "and ", "attached ", "figures "};
  std::string noise = Noise(n, seed);
  std::string s;
  for (size_t i = 0; s.size() < n; ++i) {
    s += kWords[static_cast<unsigned char>(noise[i % noise.size()]) % 10];
    s += std::to_string(static_cast<unsigned char>(noise[(i * 7) % noise.size()]));
  }
  s.resize(n);
  return s;
}

TEST_CASE("the ratio is per member: one bomb among ordinary members is cut and named") {
  std::string good1 = Noise(300000, 11), good2 = Prose(200000, 12);
  std::string zeros(10 << 20, '\0');
  std::string zip = MakeArchive(
      {{"good1.bin", good1}, {"bomb.bin", zeros}, {"good2.txt", good2}, {"small.txt", "hi\n"}});
  // Over the whole archive the bomb is within 100:1 (the limit as it used to be computed).
  REQUIRE(zeros.size() < 100 * zip.size());
  AnalysisLimits limits;
  limits.max_archive_ratio = 100;
  ArchiveBudget budget = BudgetFor(limits);
  ArchiveListing l = ReadArchive(zip, "mixed.zip", limits, &budget);

  REQUIRE(l.defects.size() == 1);
  CHECK(l.defects[0] == "limit.archive_ratio: member bomb.bin exceeds 100:1");
  const ArchiveMember* bomb = Find(l, "bomb.bin");
  REQUIRE(bomb != nullptr);
  CHECK(bomb->size < 2 * kRatioAllowanceBytes);
  CHECK(bomb->digests.sha256.empty());
  for (const auto& [name, data] : std::vector<std::pair<std::string, std::string>>{
           {"good1.bin", good1}, {"good2.txt", good2}, {"small.txt", "hi\n"}}) {
    INFO(name);
    const ArchiveMember* m = Find(l, name);
    REQUIRE(m != nullptr);
    CHECK(m->size == data.size());
    CHECK(m->digests.sha256 == ComputeDigests(data).sha256);
  }
}

TEST_CASE("a big archive of ordinary members passes the ratio limit") {
  std::vector<TestFile> files;
  std::vector<std::string> contents;
  for (uint32_t i = 0; i < 40; ++i) contents.push_back(Prose(150000 + i * 1000, 100 + i));
  // Small files that compress far better than 100:1 draw a little on the shared allowance.
  for (uint32_t i = 0; i < 20; ++i) contents.push_back(std::string(8000, ' '));
  for (size_t i = 0; i < contents.size(); ++i)
    files.push_back({"dir/f" + std::to_string(i) + ".txt", contents[i]});
  std::string zip = MakeArchive(files);
  AnalysisLimits limits;
  limits.max_archive_ratio = 100;
  ArchiveBudget budget = BudgetFor(limits);
  ArchiveListing l = ReadArchive(zip, "big.zip", limits, &budget);
  CHECK(l.defects.empty());
  REQUIRE(l.members.size() == contents.size());
  for (size_t i = 0; i < contents.size(); ++i) {
    CHECK(l.members[i].size == contents[i].size());
    CHECK(l.members[i].digests.sha256 == ComputeDigests(contents[i]).sha256);
  }
  CHECK(budget.ratio_allowance_left > 0);
  CHECK(budget.ratio_allowance_left < kRatioAllowanceBytes);
}

TEST_CASE("the ratio allowance is shared: many small bombs cannot each take it") {
  // Each member is 256 KiB of zeros, a few hundred bytes compressed: far past 100:1 each, and the
  // archive as a whole still small (the old whole-archive measure let every one of them through).
  std::vector<TestFile> files;
  for (int i = 0; i < 200; ++i)
    files.push_back({"z" + std::to_string(i), std::string(256 << 10, '\0')});
  std::string zip = MakeArchive(files);
  AnalysisLimits limits;
  limits.max_archive_ratio = 100;
  ArchiveBudget budget = BudgetFor(limits);
  ArchiveListing l = ReadArchive(zip, "many.zip", limits, &budget);
  uint64_t expanded = 0;
  for (const ArchiveMember& m : l.members) expanded += m.size;
  CHECK(expanded < 100 * zip.size() + 2 * kRatioAllowanceBytes + 200 * 65536);
  CHECK(expanded < 200ull * (256 << 10) / 2);
  CHECK(HasDefect(l, "limit.archive_ratio: member z"));
  CHECK(budget.ratio_allowance_left == 0);
}

TEST_CASE("a ratio cut in a compressed stream ends that archive") {
  std::string zeros(10 << 20, '\0');
  AnalysisLimits limits;
  limits.max_archive_ratio = 100;

  std::string tgz = MakeArchive({{"zeros.bin", zeros}, {"after.txt", "after\n"}},
                                {ARCHIVE_FORMAT_TAR_PAX_RESTRICTED, ARCHIVE_FILTER_GZIP});
  ArchiveBudget budget = BudgetFor(limits);
  ArchiveListing l = ReadArchive(tgz, "bomb.tgz", limits, &budget);
  REQUIRE(l.members.size() == 1);
  CHECK(l.members[0].size < zeros.size());
  CHECK(HasDefect(l, "limit.archive_ratio: member zeros.bin exceeds 100:1"));

  std::string gz = MakeArchive({{"x", zeros}}, {ARCHIVE_FORMAT_RAW, ARCHIVE_FILTER_GZIP});
  budget = BudgetFor(limits);
  ArchiveListing g = ReadArchive(gz, "zeros.img.gz", limits, &budget);
  INFO(g.defects.size() << " " << (g.defects.empty() ? "" : g.defects[0]) << " " << gz.size());
  REQUIRE(g.members.size() == 1);
  CHECK(g.members[0].name == "zeros.img");
  CHECK(g.members[0].size < zeros.size());
  CHECK(HasDefect(g, "limit.archive_ratio: member zeros.img exceeds 100:1"));
}

TEST_CASE("the byte budget cuts a member and is shared across calls") {
  std::string a = Noise(100000, 4), b = Noise(100000, 5);
  std::string zip = MakeArchive({{"a.bin", a}, {"b.bin", b}, {"c.bin", "c"}});
  AnalysisLimits limits;
  ArchiveBudget budget{limits.max_archive_members, 150000};
  ArchiveListing l = ReadArchive(zip, "big.zip", limits, &budget);

  REQUIRE(l.members.size() == 2);  // c.bin is never reached
  CHECK(l.members[0].size == a.size());
  CHECK(l.members[0].digests.sha256 == ComputeDigests(a).sha256);
  CHECK(l.members[1].name == "b.bin");
  CHECK(l.members[1].size == 50000);
  CHECK(l.members[1].digests.sha256.empty());
  CHECK(budget.bytes_left == 0);
  REQUIRE(l.defects.size() == 1);
  CHECK(l.defects[0].rfind("limit.archive_bytes: b.bin cut after 50000 bytes", 0) == 0);

  ArchiveListing again = ReadArchive(zip, "big.zip", limits, &budget);
  REQUIRE(again.members.size() == 1);
  CHECK(again.members[0].size == 0);
  CHECK(HasDefect(again, "limit.archive_bytes"));
}

TEST_CASE("a member ending exactly at the byte budget is complete") {
  std::string a = Noise(1000, 6);
  std::string zip = MakeArchive({{"a.bin", a}});
  AnalysisLimits limits;
  ArchiveBudget budget{10, 1000};
  ArchiveListing l = ReadArchive(zip, "a.zip", limits, &budget);
  CHECK(l.defects.empty());
  REQUIRE(l.members.size() == 1);
  CHECK(l.members[0].digests.sha256 == ComputeDigests(a).sha256);
  CHECK(budget.bytes_left == 0);
}

TEST_CASE("a truncated zip yields a corrupt defect and keeps the members before the damage") {
  std::string a = Noise(20000, 7), b = Noise(20000, 8), c = Noise(20000, 9);
  std::string zip = MakeArchive({{"a.bin", a}, {"b.bin", b}, {"c.bin", c}});
  size_t third = zip.find(std::string("PK\x03\x04", 4));
  third = zip.find(std::string("PK\x03\x04", 4), third + 1);
  third = zip.find(std::string("PK\x03\x04", 4), third + 1);
  REQUIRE(third != std::string::npos);
  std::string cut = zip.substr(0, third + 5000);  // inside c.bin's data, no central directory

  AnalysisLimits limits;
  ArchiveBudget budget = BudgetFor(limits);
  ArchiveListing l = ReadArchive(cut, "cut.zip", limits, &budget);
  CHECK(l.is_archive);
  REQUIRE(l.members.size() >= 2);
  CHECK(l.members[0].name == "a.bin");
  CHECK(l.members[0].digests.sha256 == ComputeDigests(a).sha256);
  CHECK(l.members[1].name == "b.bin");
  CHECK(l.members[1].digests.sha256 == ComputeDigests(b).sha256);
  CHECK(HasDefect(l, "archive.corrupt: "));
  if (l.members.size() == 3) CHECK(l.members[2].digests.sha256.empty());
}

TEST_CASE("garbage behind an archive signature is a corrupt defect, never a crash") {
  AnalysisLimits limits;
  ArchiveBudget budget = BudgetFor(limits);
  std::string junk = std::string("PK\x03\x04", 4) + Noise(3000, 10);
  ArchiveListing l = ReadArchive(junk, "junk.zip", limits, &budget);
  CHECK(l.members.size() <= 1);
  CHECK(HasDefect(l, "archive.corrupt: "));

  std::string gz_junk = std::string("\x1F\x8B\x08\x00", 4) + Noise(3000, 11);
  ArchiveListing g = ReadArchive(gz_junk, "junk.gz", limits, &budget);
  CHECK(HasDefect(g, "archive.corrupt: "));
}

TEST_CASE("plain text is not an archive") {
  AnalysisLimits limits;
  ArchiveBudget budget = BudgetFor(limits);
  ArchiveListing l =
      ReadArchive("Dear customer,\nplease find attached...\n", "letter.txt", limits, &budget);
  CHECK_FALSE(l.is_archive);
  CHECK(l.members.empty());
  CHECK(l.defects.empty());
  CHECK(budget.members_left == limits.max_archive_members);
  CHECK(budget.bytes_left == limits.max_archive_bytes);

  ArchiveListing empty = ReadArchive("", "empty.zip", limits, &budget);
  CHECK_FALSE(empty.is_archive);
  CHECK(empty.members.empty());
}

TEST_CASE("an mtree listing is not read, so no local file is opened") {
  AnalysisLimits limits;
  ArchiveBudget budget = BudgetFor(limits);
  ArchiveListing l = ReadArchive("#mtree\n./etc/passwd type=file\n", "x.mtree", limits, &budget);
  CHECK_FALSE(l.is_archive);
  CHECK(l.members.empty());
}

TEST_CASE("an encrypted zip member is named and reported as encrypted") {
  std::string zip =
      MakeArchive({{"secret.txt", "top secret\n"}},
                  {ARCHIVE_FORMAT_ZIP, ARCHIVE_FILTER_NONE, "zip:encryption=zipcrypt", "pw"});
  AnalysisLimits limits;
  ArchiveBudget budget = BudgetFor(limits);
  ArchiveListing l = ReadArchive(zip, "locked.zip", limits, &budget);
  CHECK(l.is_archive);
  REQUIRE(l.members.size() == 1);
  CHECK(l.members[0].name == "secret.txt");
  CHECK(l.members[0].digests.sha256.empty());
  REQUIRE(l.defects.size() == 1);
  CHECK(l.defects[0] == "archive.encrypted: secret.txt");
}

}  // namespace gfi

namespace gfi {

TEST_CASE("a zip behind a self-extractor stub or a junk byte is still listed") {
  std::string payload = Noise(5000, 7);
  std::string zip = MakeArchive({{"evil.exe", payload}, {"readme.txt", "run me\n"}});
  // "cat stub.exe x.zip > x.exe": the zip's offsets are not adjusted, as unzip and Python's
  // zipfile both cope with.
  std::string stub = "MZ" + std::string(4094, '\x90');
  for (const std::string& data : {"\x01" + zip, stub + zip}) {
    CHECK(LooksLikeArchive(data));
    AnalysisLimits limits;
    ArchiveBudget budget = BudgetFor(limits);
    ArchiveListing l = ReadArchive(data, "x.exe", limits, &budget);
    CHECK(l.is_archive);
    const ArchiveMember* m = Find(l, "evil.exe");
    REQUIRE(m != nullptr);
    CHECK(m->size == payload.size());
    CHECK(m->digests.sha256 == ComputeDigests(payload).sha256);
    CHECK(Find(l, "readme.txt") != nullptr);
  }
  // Inside another zip, too.
  std::string outer = MakeArchive({{"setup.exe", stub + zip}});
  AnalysisLimits limits;
  ArchiveBudget budget = BudgetFor(limits);
  ArchiveListing nested = ReadArchive(outer, "outer.zip", limits, &budget);
  CHECK(Find(nested, "setup.exe!/evil.exe") != nullptr);
  // A zip comment after the end record is allowed; text merely mentioning "PK" is no zip.
  CHECK(LooksLikeArchive("x" + zip.substr(0, zip.size() - 2) + std::string("\x03\0abc", 5)));
  CHECK_FALSE(LooksLikeArchive("a text about PK\x05\x06 records, long enough to hold one"));
}

}  // namespace gfi
