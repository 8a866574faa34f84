// Names of actions and term kinds as they appear in feeds, configuration and output.
#include "indicators/indicator.h"

#include <array>
#include <utility>

namespace gfi {
namespace {

constexpr std::array<std::pair<Action, std::string_view>, 6> kActions = {{
    {Action::kAccept, "accept"},
    {Action::kTag, "tag"},
    {Action::kQuarantine, "quarantine"},
    {Action::kTempfail, "tempfail"},
    {Action::kReject, "reject"},
    {Action::kDiscard, "discard"},
}};

constexpr std::array<std::pair<TermKind, std::string_view>, 14> kKinds = {{
    {TermKind::kIp, "ip"},
    {TermKind::kDomain, "domain"},
    {TermKind::kEmail, "email"},
    {TermKind::kUrl, "url"},
    {TermKind::kUrlPrefix, "url-prefix"},
    {TermKind::kMd5, "md5"},
    {TermKind::kSha1, "sha1"},
    {TermKind::kSha256, "sha256"},
    {TermKind::kFilename, "filename"},
    {TermKind::kFilenameGlob, "filename-glob"},
    {TermKind::kSubjectRegex, "subject-regex"},
    {TermKind::kHeaderRegex, "header-regex"},
    {TermKind::kBodyRegex, "body-regex"},
    {TermKind::kContent, "content"},
}};

}  // namespace

std::string_view ToString(Action a) {
  for (const auto& [k, v] : kActions)
    if (k == a) return v;
  return "?";
}

std::optional<Action> ParseAction(std::string_view s) {
  for (const auto& [k, v] : kActions)
    if (v == s) return k;
  return std::nullopt;
}

std::string_view ToString(TermKind k) {
  for (const auto& [kk, v] : kKinds)
    if (kk == k) return v;
  return "?";
}

}  // namespace gfi
