// RuleList (indicators/rule_list.h): rules packed into blocks read back exactly as they went in.
#include "indicators/rule_list.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

namespace gfi {
namespace {

bool Same(const Term& a, const Term& b) {
  return a.kind == b.kind && a.value == b.value && a.header_name == b.header_name &&
         a.where == b.where && a.blinded == b.blinded;
}

bool Same(const Rule& a, const Rule& b) {
  if (a.any_of.size() != b.any_of.size()) return false;
  for (size_t c = 0; c < a.any_of.size(); ++c) {
    if (a.any_of[c].size() != b.any_of[c].size()) return false;
    for (size_t t = 0; t < a.any_of[c].size(); ++t)
      if (!Same(a.any_of[c][t], b.any_of[c][t])) return false;
  }
  return a.id == b.id && a.feed == b.feed && a.description == b.description &&
         a.valid_from == b.valid_from && a.valid_until == b.valid_until &&
         a.revoked == b.revoked && a.modified == b.modified && a.confidence == b.confidence &&
         a.marking == b.marking && a.action == b.action && a.display == b.display &&
         a.blinded == b.blinded;
}

Term T(TermKind k, std::string v) {
  Term t;
  t.kind = k;
  t.value = std::move(v);
  return t;
}

// Rules that exercise every field and every shortcut of the encoding.
std::vector<Rule> Samples() {
  std::vector<Rule> out;
  Rule plain;  // a CSV line: generated id, display = value
  plain.feed = "f.csv";
  plain.id = "f.csv:12";
  plain.display = "evil.example";
  plain.any_of = {{T(TermKind::kDomain, "evil.example")}};
  out.push_back(plain);

  Rule stix;  // every field set, an OR of ANDs, a header regex, a where restriction
  stix.feed = "bundle.json";
  stix.id = "indicator--0f9d3b2e-6a4d-4c1e-9a59-2b6a3d8c1e01";
  stix.description = "phishing kit, \"quoted\"\nand a new line";
  stix.valid_from = 1767225600;
  stix.valid_until = -5;  // negative times survive (zigzag)
  stix.revoked = true;
  stix.modified = 1767225601;
  stix.confidence = 0;
  stix.marking = "TLP:RED";
  stix.action = Action::kReject;
  stix.display = "[domain-name:value = 'a.example'] OR ...";
  Term h = T(TermKind::kHeaderRegex, "(?i)^x-evil");
  h.header_name = "x-mailer";
  Term ip = T(TermKind::kIp, "198.51.100.0/24");
  ip.where = WhereBit(Where::kClientIp);
  stix.any_of = {{T(TermKind::kDomain, "a.example")}, {h, ip}};
  out.push_back(stix);

  Rule odd;  // ids that look generated and are not: leading zero, another feed, no number
  odd.feed = "f.csv";
  odd.display = "";  // empty display, not the value
  odd.any_of = {{T(TermKind::kMd5, "d41d8cd98f00b204e9800998ecf8427e")}};
  for (const char* id : {"f.csv:012", "g.csv:12", "f.csv:", "f.csv:1234567890", "f.csv:0"}) {
    odd.id = id;
    out.push_back(odd);
  }

  Rule blind;  // a blinded term: 16 raw bytes, NULs included
  blind.feed = "b.blind";
  blind.id = "b1";
  blind.blinded = true;
  blind.marking = "GFI//NOFORN";
  Term bt = T(TermKind::kEmail, std::string("\0\x01\xff\x80 hash bytes \0\0", 16));
  bt.blinded = true;
  blind.any_of = {{bt}};
  out.push_back(blind);

  Rule none;  // no alternatives at all
  none.feed = "f.csv";
  none.id = "empty";
  out.push_back(none);
  return out;
}

}  // namespace

TEST_CASE("rule list: every field of every kind of rule reads back as written") {
  const std::vector<Rule> in = Samples();
  RuleList list;
  for (const Rule& r : in) list.push_back(r);
  REQUIRE(list.size() == in.size());
  size_t i = 0;
  for (const Rule& r : list) {
    INFO("rule " << i << " " << in[i].id);
    CHECK(Same(r, in[i]));
    CHECK(Same(list[i], in[i]));
    ++i;
  }
  CHECK(i == in.size());
  CHECK(list.terms_by_kind()[static_cast<size_t>(TermKind::kMd5)] == 5);
  CHECK(list.blinded_terms() == 1);
  CHECK(list.any_modified());
}

TEST_CASE("rule list: a million-scale list spans blocks; index, iteration and id views agree") {
  RuleList list;
  std::vector<std::string> ids;
  const std::string long_text(3000, 'x');  // some records large, so blocks end unevenly
  for (int i = 0; i < 20000; ++i) {
    Rule r;
    r.feed = "big.json";
    r.id = "indicator--" + std::to_string(i);
    r.modified = i % 7;
    r.description = i % 50 == 0 ? long_text : "";
    r.display = "d" + std::to_string(i);
    r.any_of = {{T(TermKind::kUrl, "http://h" + std::to_string(i) + ".example/")}};
    ids.push_back(r.id);
    list.push_back(r);
  }
  Rule huge;  // a record bigger than a block gets a block of its own
  huge.feed = "big.json";
  huge.id = "huge";
  huge.display = std::string(3u << 20, 'y');
  huge.any_of = {{T(TermKind::kContent, "needle")}};
  list.push_back(huge);
  ids.push_back("huge");
  REQUIRE(list.size() == ids.size());
  CHECK(list.bytes() > (3u << 20));
  std::vector<std::string_view> views;
  size_t i = 0;
  for (auto it = list.begin(); it != list.end(); ++it, ++i) {
    REQUIRE(it->id == ids[i]);
    CHECK(it.id_view() == ids[i]);
    views.push_back(it.id_view());
  }
  // Views stay valid after iteration (the blocks do not move).
  for (size_t k = 0; k < views.size(); k += 997) CHECK(views[k] == ids[k]);
  for (size_t k : {size_t{0}, size_t{63}, size_t{64}, size_t{65}, size_t{12345}, ids.size() - 2})
    CHECK(list[k].id == ids[k]);
  CHECK(list.back().display.size() == (3u << 20));
  CHECK(list[19999].modified == 19999 % 7);
}

TEST_CASE("rule list: Transform and Set change rules; clear empties") {
  RuleList list{Samples()[0], Samples()[2]};
  list.Transform([](Rule& r) { r.marking = "TLP:AMBER"; });
  for (const Rule& r : list) CHECK(r.marking == "TLP:AMBER");
  Rule changed = list[1];
  changed.revoked = true;
  list.Set(1, changed);
  CHECK_FALSE(list[0].revoked);
  CHECK(list[1].revoked);
  CHECK(list[1].id == Samples()[2].id);
  // Renaming the feed keeps generated ids as they were read.
  list.Transform([](Rule& r) { r.feed = "renamed.csv"; });
  CHECK(list[0].id == "f.csv:12");
  CHECK(list[0].feed == "renamed.csv");
  list.clear();
  CHECK(list.empty());
  CHECK(list.begin() == list.end());
}

}  // namespace gfi
