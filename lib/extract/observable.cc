// Names of observable types and places, as used in JSON output, feeds and logs.
#include "extract/observable.h"

#include <array>
#include <utility>

namespace gfi {
namespace {

constexpr std::array<std::pair<ObservableType, std::string_view>, 8> kTypes = {{
    {ObservableType::kIp, "ip"},
    {ObservableType::kDomain, "domain"},
    {ObservableType::kEmail, "email"},
    {ObservableType::kUrl, "url"},
    {ObservableType::kMd5, "md5"},
    {ObservableType::kSha1, "sha1"},
    {ObservableType::kSha256, "sha256"},
    {ObservableType::kFilename, "filename"},
}};

constexpr std::array<std::pair<Where, std::string_view>, 19> kWheres = {{
    {Where::kClientIp, "client_ip"},
    {Where::kHelo, "helo"},
    {Where::kMailFrom, "mail_from"},
    {Where::kRcptTo, "rcpt_to"},
    {Where::kHeaderFrom, "header.from"},
    {Where::kHeaderSender, "header.sender"},
    {Where::kHeaderReplyTo, "header.reply_to"},
    {Where::kHeaderReturnPath, "header.return_path"},
    {Where::kHeaderTo, "header.to"},
    {Where::kHeaderCc, "header.cc"},
    {Where::kHeaderMessageId, "header.message_id"},
    {Where::kHeaderReceived, "header.received"},
    {Where::kHeaderXOriginatingIp, "header.x_originating_ip"},
    {Where::kBodyText, "body.text"},
    {Where::kBodyHtml, "body.html"},
    {Where::kAttachment, "attachment"},
    {Where::kArchiveMember, "archive_member"},
    {Where::kHeaderSubject, "header.subject"},
    {Where::kHeaderOther, "header"},
}};

}  // namespace

std::string_view ToString(ObservableType t) {
  for (const auto& [k, v] : kTypes)
    if (k == t) return v;
  return "?";
}

std::string_view ToString(Where w) {
  for (const auto& [k, v] : kWheres)
    if (k == w) return v;
  return "?";
}

std::optional<ObservableType> ParseObservableType(std::string_view s) {
  for (const auto& [k, v] : kTypes)
    if (v == s) return k;
  return std::nullopt;
}

std::optional<Where> ParseWhere(std::string_view s) {
  for (const auto& [k, v] : kWheres)
    if (v == s) return k;
  return std::nullopt;
}

}  // namespace gfi
