// The extraction pipeline: envelope, headers, then every MIME leaf (decode, charset, URLs, HTML,
// digests, archives). Budgets from AnalysisLimits are spent across the whole message so a single
// hostile part cannot take the time or memory meant for all of them.
#include "extract/analyzer.h"

#include <unordered_set>
#include <utility>

#include "extract/address.h"
#include "extract/filename.h"
#include "extract/html.h"
#include "extract/url.h"
#include "global/vocabulary.h"
#include "mime/header_decode.h"
#include "mime/transfer_decode.h"
#include "mime/uuencode.h"
#include "util/charset.h"
#include "util/strings.h"

namespace gfi {
namespace {

class Analyzer {
 public:
  Analyzer(const AnalysisLimits& limits, const Deadline& deadline, MessageAnalysis* out)
      : limits_(limits),
        deadline_(deadline),
        out_(out),
        archive_budget_{limits.max_archive_members, limits.max_archive_bytes} {}

  // True once the scan's time is up; the first time, records limit.scan_time naming `next`, the
  // first thing not analysed.
  bool OutOfTime(std::string_view next) {
    if (out_of_time_) return true;
    if (!deadline_.Expired()) return false;
    out_of_time_ = true;
    Defect(std::string(ToString(Limit::kScanTime)) + " at " + std::string(next) +
           ": more than " + std::to_string(limits_.max_scan_ms) + " ms; the rest is not analysed");
    return true;
  }

  void Envelope(const gfi::Envelope& env) {
    if (!env.client_ip.empty()) {
      if (auto ip = CanonicalIp(env.client_ip)) Add(ObservableType::kIp, *ip, Where::kClientIp);
    }
    if (!env.helo.empty()) AddHost(env.helo, Where::kHelo);
    if (!env.mail_from.empty()) AddAddress(env.mail_from, Where::kMailFrom);
    for (const std::string& r : env.rcpt_to) AddAddress(r, Where::kRcptTo);
  }

  void Headers(const MimePart& root) {
    for (const HeaderField& h : root.headers) {
      const std::string& n = h.name;
      if (OutOfTime("header " + PrintableUtf8(n))) return;
      if (EqualsIgnoreCase(n, "From")) {
        AddAddressList(h.value, Where::kHeaderFrom);
      } else if (EqualsIgnoreCase(n, "Sender")) {
        AddAddressList(h.value, Where::kHeaderSender);
      } else if (EqualsIgnoreCase(n, "Reply-To")) {
        AddAddressList(h.value, Where::kHeaderReplyTo);
      } else if (EqualsIgnoreCase(n, "Return-Path")) {
        AddAddressList(h.value, Where::kHeaderReturnPath);
      } else if (EqualsIgnoreCase(n, "To")) {
        AddAddressList(h.value, Where::kHeaderTo);
      } else if (EqualsIgnoreCase(n, "Cc")) {
        AddAddressList(h.value, Where::kHeaderCc);
      } else if (EqualsIgnoreCase(n, "Message-ID")) {
        for (const std::string& a : ExtractAddresses(h.value))
          Add(ObservableType::kDomain, std::string(AddressDomain(a)), Where::kHeaderMessageId);
      } else if (EqualsIgnoreCase(n, "Received")) {
        HostsAndIps r = ExtractReceived(h.value);
        for (const std::string& ip : r.ips) Add(ObservableType::kIp, ip, Where::kHeaderReceived);
        for (const std::string& host : r.hosts)
          Add(ObservableType::kDomain, host, Where::kHeaderReceived);
      } else if (EqualsIgnoreCase(n, "X-Originating-IP")) {
        for (const std::string& ip : ExtractIps(h.value))
          Add(ObservableType::kIp, ip, Where::kHeaderXOriginatingIp);
      }
      std::string decoded = h.value.find("=?") != std::string::npos ? DecodeEncodedWords(h.value)
                                                                     : SanitizeUtf8(h.value);
      RemoveInvisibleFormatChars(&decoded);  // "Pass\u200Bword": what the reader sees
      if (EqualsIgnoreCase(n, "Subject") && out_->subject.empty()) out_->subject = decoded;
      out_->headers.push_back(HeaderField{h.name, std::move(decoded)});
    }
  }

  void Walk(const MimePart& part) {
    if (OutOfTime(part.path)) return;
    if (!part.IsLeaf()) {
      for (const MimePart& c : part.children) Walk(c);
      return;
    }
    Leaf(part);
  }

 private:
  void Defect(std::string d) { out_->defects.push_back(std::move(d)); }

  void Add(ObservableType type, std::string value, Where where) {
    if (value.empty()) return;
    std::string key;
    key.reserve(value.size() + 4);
    key.push_back(static_cast<char>(type));
    key.push_back(static_cast<char>(where));
    key += value;
    if (!seen_.insert(std::move(key)).second) return;
    out_->observables.push_back(Observable{type, std::move(value), where});
  }

  void AddHost(std::string_view host, Where where) {
    if (auto ip = CanonicalIp(host)) {
      Add(ObservableType::kIp, *ip, where);
    } else if (auto h = NormalizeHost(host)) {
      Add(ObservableType::kDomain, *h, where);
    }
  }

  void AddAddress(std::string_view address, Where where) {
    if (auto a = NormalizeAddress(address)) {
      std::string domain(AddressDomain(*a));
      Add(ObservableType::kEmail, std::move(*a), where);
      if (!domain.empty() && domain.front() == '[') {
        if (auto ip = CanonicalIp(domain)) Add(ObservableType::kIp, *ip, where);
      } else {
        Add(ObservableType::kDomain, std::move(domain), where);
      }
    }
  }

  // Under the name Windows would save the file as ("evil.exe." is evil.exe).
  void AddFilename(std::string_view name, Where where) {
    if (name.empty()) return;
    std::vector<std::string> forms;
    FilenameMatchForms(name, &forms);
    for (std::string& f : forms) Add(ObservableType::kFilename, std::move(f), where);
  }

  void AddAddressList(std::string_view value, Where where) {
    for (const std::string& a : ExtractAddresses(value)) AddAddress(a, where);
    for (const std::string& a : ExtractEncodedDisplayNameAddresses(value)) AddAddress(a, where);
  }

  void AddNormalizedUrl(const NormalizedUrl& u, Where where) {
    Add(ObservableType::kUrl, u.url, where);
    Add(u.host_is_ip ? ObservableType::kIp : ObservableType::kDomain, u.host, where);
    if (!u.mapped_ipv4.empty()) {
      // The browser connects to the IPv4 address: the URL as if written with it matches too.
      Add(ObservableType::kIp, u.mapped_ipv4, where);
      const size_t close = u.url.find(']');
      if (close != std::string::npos) {
        std::string v4_url = u.scheme + "://" + u.mapped_ipv4;
        v4_url.append(u.url, close + 1, std::string::npos);
        Add(ObservableType::kUrl, std::move(v4_url), where);
      }
    }
  }

  void AddUrl(std::string_view raw, Where where) {
    if (urls_ >= limits_.max_urls) {
      if (!url_limit_reported_) {
        Defect(std::string(ToString(Limit::kUrls)) + " at top: more than " + std::to_string(limits_.max_urls) + " URLs");
        url_limit_reported_ = true;
      }
      return;
    }
    auto u = NormalizeUrl(raw);
    if (!u) return;
    ++urls_;
    AddNormalizedUrl(*u, where);
    // Redirectors wrap redirectors (Google around Safe Links around the target): unwrap a few
    // levels, breadth first, with a bound so a crafted chain costs little.
    std::vector<NormalizedUrl> level{*u};
    for (int depth = 0; depth < 3 && !level.empty(); ++depth) {
      std::vector<NormalizedUrl> next;
      for (const NormalizedUrl& outer : level) {
        for (const std::string& inner : UnwrapRedirects(outer)) {
          if (auto w = NormalizeUrl(inner)) {
            AddNormalizedUrl(*w, where);
            if (next.size() < 16) next.push_back(std::move(*w));
          }
        }
      }
      level = std::move(next);
    }
  }

  // Decodes the part's body within the message's decoded-size budget. Identity encodings (7bit,
  // 8bit, binary) are not copied: the result views part.body; otherwise it views *buffer.
  // Base64 with data after its padding is read two ways by common readers (Python's email stops
  // at the padding, most clients go on): *two_readings says so; this is the reading that goes on.
  std::string_view Decode(const MimePart& part, std::string* buffer, bool* two_readings) {
    std::string& out = *buffer;
    std::string_view result;
    uint64_t left = limits_.max_decoded_bytes > decoded_ ? limits_.max_decoded_bytes - decoded_ : 0;
    size_t max_out = static_cast<size_t>(left);
    DecodeStats st;
    if (part.transfer_encoding == "base64") {
      st = DecodeBase64(part.body, &out, max_out);
      if (st.invalid_chars > 0)
        Defect("mime.bad_base64 at " + part.path + ": " + std::to_string(st.invalid_chars) +
               " invalid characters");
      if (st.data_after_padding) {
        Defect("mime.base64_data_after_padding at " + part.path);
        *two_readings = true;
      }
    } else if (part.transfer_encoding == "quoted-printable") {
      st = DecodeQuotedPrintable(part.body, &out, max_out);
    } else if (part.transfer_encoding == "x-uuencode" || part.transfer_encoding == "x-uue" ||
               part.transfer_encoding == "uuencode") {
      std::vector<UuFile> files = FindUuencoded(part.body, 1, max_out);
      if (!files.empty()) {
        out = std::move(files.front().data);
        st.truncated = files.front().truncated;
      } else {
        result = part.body;
        Defect("mime.bad_uuencode at " + part.path);
      }
    } else {
      if (part.transfer_encoding != "7bit" && part.transfer_encoding != "8bit" &&
          part.transfer_encoding != "binary")
        Defect("mime.unknown_transfer_encoding at " + part.path + ": " + part.transfer_encoding);
      size_t n = std::min(part.body.size(), max_out);
      result = std::string_view(part.body).substr(0, n);
      st.truncated = n < part.body.size();
    }
    if (st.truncated) Defect(std::string(ToString(Limit::kDecodedSize)) + " at " + part.path);
    if (result.data() == nullptr) result = out;
    decoded_ += result.size();
    return result;
  }

  void Leaf(const MimePart& part) {
    PartReport rep;
    rep.path = part.path;
    rep.content_type = part.content_type.value;
    rep.filename = part.filename;
    rep.charset = part.content_type.Param("charset");
    rep.transfer_encoding = part.transfer_encoding;
    std::string buffer;
    bool two_readings = false;
    std::string_view data = Decode(part, &buffer, &two_readings);
    rep.size = data.size();

    // A multipart or message entity that arrives here could not be descended (a limit, a missing
    // boundary): scan it as text so its content is not skipped.
    const bool is_text = rep.content_type.rfind("text/", 0) == 0 ||
                         rep.content_type.rfind("multipart/", 0) == 0 ||
                         rep.content_type.rfind("message/", 0) == 0;
    // Content-Disposition: attachment makes a client offer the part as a file to save, whatever
    // its type and whether or not it is named.
    rep.attachment = !is_text || !rep.filename.empty() || part.disposition.value == "attachment";
    const bool rep_is_plain = rep.content_type == "text/plain";
    const std::string path = rep.path;

    if (is_text) {
      Utf8Text t = ToUtf8(data, rep.charset);
      if (t.unknown_charset) Defect("mime.unknown_charset at " + part.path + ": " + rep.charset);
      if (rep.content_type == "text/html") {
        HtmlContent html = ExtractHtml(t.text, limits_.max_html_bytes);
        if (html.truncated) Defect(std::string(ToString(Limit::kHtmlSize)) + " at " + part.path);
        for (const std::string& u : html.urls) AddUrl(u, Where::kBodyHtml);
        // Zero-width characters and soft hyphens inside a word do not show: content rules and
        // URLs in the text see the word as the reader does.
        RemoveInvisibleFormatChars(&html.text);
        for (std::string_view u : FindUrlsInText(html.text, limits_.max_urls))
          AddUrl(u, Where::kBodyHtml);
        out_->texts.push_back(TextSegment{Where::kBodyHtml, part.path, std::move(html.text)});
      } else {
        RemoveInvisibleFormatChars(&t.text);  // as for HTML above
        for (std::string_view u : FindUrlsInText(t.text, limits_.max_urls))
          AddUrl(u, Where::kBodyText);
        out_->texts.push_back(TextSegment{Where::kBodyText, part.path, std::move(t.text)});
      }
    }

    if (rep.attachment) {
      AddAttachment(&rep, data);
      if (two_readings) AddStoppingReading(part);
    }
    out_->parts.push_back(std::move(rep));

    // uuencoded files in plain text are attachments to the reader, so they are to us.
    if (is_text && rep_is_plain && data.find("begin ") != std::string_view::npos) {
      size_t left = limits_.max_decoded_bytes > decoded_ ? limits_.max_decoded_bytes - decoded_ : 0;
      size_t n = 0;
      for (UuFile& f : FindUuencoded(data, limits_.max_parts, left)) {
        PartReport uu;
        uu.path = path + "/uu" + std::to_string(++n);
        uu.content_type = "application/octet-stream";
        uu.filename = SanitizeUtf8(f.name);
        uu.transfer_encoding = "x-uuencode";
        uu.size = f.data.size();
        uu.attachment = true;
        decoded_ += f.data.size();
        if (f.truncated) Defect("mime.uuencode_truncated at " + uu.path);
        AddAttachment(&uu, f.data);
        out_->parts.push_back(std::move(uu));
      }
    }
  }

  // The file Python's email saves from base64 with data after its padding: its digests match
  // too (the report shows the other reading's), within the decoded-size budget.
  void AddStoppingReading(const MimePart& part) {
    const uint64_t left =
        limits_.max_decoded_bytes > decoded_ ? limits_.max_decoded_bytes - decoded_ : 0;
    std::string alt;
    DecodeBase64StopAtPadding(part.body, &alt, static_cast<size_t>(left));
    decoded_ += alt.size();
    Digests d = ComputeDigests(alt);
    Add(ObservableType::kMd5, d.md5, Where::kAttachment);
    Add(ObservableType::kSha1, d.sha1, Where::kAttachment);
    Add(ObservableType::kSha256, d.sha256, Where::kAttachment);
  }

  void AddAttachment(PartReport* rep_ptr, std::string_view data) {
    PartReport& rep = *rep_ptr;
    const std::string& path = rep.path;
    {
      rep.digests = ComputeDigests(data);
      Add(ObservableType::kMd5, rep.digests.md5, Where::kAttachment);
      Add(ObservableType::kSha1, rep.digests.sha1, Where::kAttachment);
      Add(ObservableType::kSha256, rep.digests.sha256, Where::kAttachment);
      AddFilename(rep.filename, Where::kAttachment);
      if (LooksLikeArchive(data)) {
        ArchiveListing listing = ReadArchive(data, rep.filename, limits_, &archive_budget_);
        for (std::string& d : listing.defects) Defect(std::move(d) + " (in " + path + ")");
        for (const ArchiveMember& m : listing.members) {
          Add(ObservableType::kMd5, m.digests.md5, Where::kArchiveMember);
          Add(ObservableType::kSha1, m.digests.sha1, Where::kArchiveMember);
          Add(ObservableType::kSha256, m.digests.sha256, Where::kArchiveMember);
          std::string_view base = m.name;
          if (size_t slash = base.find_last_of("/\\!"); slash != std::string_view::npos)
            base = base.substr(slash + 1);
          AddFilename(base, Where::kArchiveMember);
        }
        rep.members = std::move(listing.members);
      }
    }
  }

  const AnalysisLimits& limits_;
  const Deadline deadline_;
  MessageAnalysis* out_;
  ArchiveBudget archive_budget_;
  bool out_of_time_ = false;
  std::unordered_set<std::string> seen_;
  uint64_t decoded_ = 0;
  size_t urls_ = 0;
  bool url_limit_reported_ = false;
};

}  // namespace

MessageAnalysis AnalyzeMessage(std::string_view raw, const Envelope& envelope,
                               const AnalysisLimits& limits) {
  return AnalyzeMessage(raw, envelope, limits, Deadline());
}

MessageAnalysis AnalyzeMessage(std::string_view raw, const Envelope& envelope,
                               const AnalysisLimits& limits, const Deadline& deadline) {
  MessageAnalysis out;
  out.size = raw.size();
  ParsedMessage parsed = ParseMime(raw, limits);
  out.defects = std::move(parsed.defects);
  Analyzer a(limits, deadline, &out);
  a.Envelope(envelope);
  a.Headers(parsed.root);
  a.Walk(parsed.root);
  return out;
}

}  // namespace gfi
