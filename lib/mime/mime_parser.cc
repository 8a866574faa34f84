// MIME structure via mimetic. We drive mimetic's own header reader and data model
// (mimetic::MimeEntity) but replace its body/boundary scanning: mimetic matches boundaries by prefix
// ("--ab" matches "--abc"), mis-handles an inner part that lacks its closing boundary, swallows an
// empty part's boundary as a header line, and has no depth or part limits. Our scanner matches a
// boundary line exactly (trailing blanks allowed, as RFC 2046 and Python do), finds candidate lines
// with memchr, and copies each body in one append. Limits stop descending, never reading.
#include "mime/mime_parser.h"

#include <cstring>
#include <exception>
#include <iterator>
#include <map>
#include <mimetic/mimetic.h>
#include <mimetic/parser/itparser.h>

#include "global/vocabulary.h"
#include "mime/transfer_decode.h"
#include "util/strings.h"

namespace gfi {
namespace {

// An input iterator over a byte range: selects mimetic's line-oriented parser (the random-access
// one uses an unanchored Boyer-Moore search) and lets our scanner reach the underlying pointer.
struct PtrIt {
  using iterator_category = std::input_iterator_tag;
  using value_type = char;
  using difference_type = std::ptrdiff_t;
  using pointer = const char*;
  using reference = const char&;
  const char* p = nullptr;
  const char& operator*() const { return *p; }
  PtrIt& operator++() {
    ++p;
    return *this;
  }
  PtrIt operator++(int) {
    PtrIt t = *this;
    ++p;
    return t;
  }
  bool operator==(const PtrIt& o) const { return p == o.p; }
  bool operator!=(const PtrIt& o) const { return p != o.p; }
};

using BaseParser = mimetic::IteratorParser<PtrIt, std::input_iterator_tag>;

struct EntityNotes {
  std::vector<HeaderField> headers;  // read from the raw header block, unfolded
  bool header_cut = false;           // max_header_bytes reached
  bool header_malformed = false;     // a line in the header block was not a field
  MediaParams content_type;
  bool has_type = false;
  std::string transfer_encoding;  // lower-case, "" when absent
  bool missing_close = false;
  bool depth_cut = false;
  bool part_cut = false;
  bool no_boundary = false;
  bool digest_default = false;  // no Content-Type inside multipart/digest: message/rfc822
};

// Header fields of one entity from its raw header block: "Name: value" lines, continuation lines
// unfolded to one space. Stops at the first line that is not a field (mimetic has already put it
// in the body). Values beyond `max_bytes` in total are dropped and *cut is set.
std::vector<HeaderField> ReadHeaderFields(std::string_view block, size_t max_bytes, bool* cut,
                                          bool* malformed) {
  std::vector<HeaderField> out;
  size_t total = 0;
  size_t pos = 0;
  *cut = false;
  *malformed = false;
  while (pos < block.size()) {
    size_t nl = block.find('\n', pos);
    size_t end = nl == std::string_view::npos ? block.size() : nl;
    std::string_view line = block.substr(pos, end - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    pos = end + 1;
    if (line.empty()) break;
    if (line[0] == ' ' || line[0] == '\t') {
      if (out.empty() || *cut) continue;
      std::string_view more = Trim(line);
      total += more.size() + 1;
      if (total > max_bytes) {
        *cut = true;
        continue;
      }
      if (!more.empty()) {
        if (!out.back().value.empty()) out.back().value += ' ';
        out.back().value += more;
      }
      continue;
    }
    size_t colon = line.find(':');
    if (colon == 0) {  // ":junk" is skipped, as mimetic's reader skips it
      *malformed = true;
      continue;
    }
    // A line that is no field: mimetic starts the body here, and so do we.
    if (colon == std::string_view::npos) {
      *malformed = true;
      break;
    }
    std::string_view name = Trim(line.substr(0, colon));
    if (name.empty() || name.find_first_of(" \t") != std::string_view::npos) {
      *malformed = true;
      break;
    }
    std::string_view value = Trim(line.substr(colon + 1));
    total += name.size() + value.size() + 2;
    if (total > max_bytes) {
      *cut = true;
      continue;
    }
    out.push_back(HeaderField{std::string(name), std::string(value)});
  }
  return out;
}

const HeaderField* FindField(const std::vector<HeaderField>& fields, std::string_view name) {
  for (const HeaderField& h : fields)
    if (EqualsIgnoreCase(h.name, name)) return &h;
  return nullptr;
}

// The mechanism token of a Content-Transfer-Encoding value, lower-case. Read leniently, as mail
// clients decode "base64;", "base64 (comment)", "(c) base64" and "\"base64\"": RFC 5322 comments
// (nested) are dropped and the token ends at white space, ';' or a quote.
std::string TransferMechanism(std::string_view value) {
  std::string token;
  int depth = 0;
  for (size_t i = 0; i < value.size(); ++i) {
    const char c = value[i];
    if (c == '\\' && depth > 0) {
      ++i;  // quoted-pair inside a comment
    } else if (c == '(') {
      ++depth;
    } else if (c == ')') {
      if (depth > 0) --depth;
    } else if (depth == 0) {
      if (c == ';') break;
      if (c == ' ' || c == '\t' || c == '"' || c == '\'') {
        if (!token.empty()) break;
        continue;
      }
      token.push_back(AsciiLower(c));
    }
  }
  return token;
}

bool IsEncodedCte(const EntityNotes& n) {
  return n.transfer_encoding == "base64" || n.transfer_encoding == "quoted-printable";
}

class StructureParser : public BaseParser {
 public:
  StructureParser(mimetic::MimeEntity& me, const AnalysisLimits& limits, size_t* entities)
      : BaseParser(me), limits_(limits), entities_(entities) {}

  // Reads the structure from `lines`; leaf bodies are copied from the same offsets of `bytes`,
  // which has the same size (see ReadMessage on bare CR).
  void Run(std::string_view lines, std::string_view bytes, int depth) {
    lines_ = lines.data();
    bytes_ = bytes.data();
    m_bit = PtrIt{lines.data()};
    m_eit = PtrIt{lines.data() + lines.size()};
    DoLoad(depth, false);
  }

  std::map<const mimetic::MimeEntity*, EntityNotes>& notes() { return notes_; }

 private:
  enum class Found { kNone, kBoundary };

  void DoLoad(int depth, bool in_digest) {
    // An empty part ("--b" right after "--b") has no header: do not let the header reader eat the
    // boundary line as a malformed field.
    // A part whose header runs straight into the next boundary ("--b", fields, "--b") has no
    // body: mimetic's header reader would take the boundary line for the body's first line and
    // swallow the next part, so it only sees the block up to the empty line or the boundary.
    const char* header_start = m_bit.p;
    const char* block_end = HeaderBlockEnd();
    if (block_end != header_start) {
      const PtrIt saved_end = m_eit;
      m_eit = PtrIt{block_end};
      loadHeader();
      m_eit = saved_end;
    }
    // mimetic's Field::value() re-serialises structured fields (quotes added, parameters
    // re-encoded), so field values are read again from the raw block mimetic consumed.
    EntityNotes& n = notes_[m_entityStack.top()];
    n.headers = ReadHeaderFields(std::string_view(header_start, m_bit.p - header_start),
                                 limits_.max_header_bytes, &n.header_cut, &n.header_malformed);
    if (const HeaderField* ct = FindField(n.headers, "Content-Type")) {
      n.content_type = ParseMediaParams(ct->value);
      n.has_type = n.content_type.value.find('/') != std::string::npos;
    }
    if (const HeaderField* cte = FindField(n.headers, "Content-Transfer-Encoding"))
      n.transfer_encoding = TransferMechanism(cte->value);
    LoadBody(depth, in_digest);
  }

  bool SpendEntity() {
    if (*entities_ >= limits_.max_parts) return false;
    ++*entities_;
    return true;
  }

  void LoadBody(int depth, bool in_digest) {
    mimetic::MimeEntity* me = m_entityStack.top();
    EntityNotes& n = notes_[me];
    const std::string& type = n.content_type.value;
    const bool multipart = n.has_type && type.rfind("multipart/", 0) == 0;
    const bool digest_message = in_digest && !n.has_type;
    const bool message = (n.has_type && type == "message/rfc822") || digest_message;
    if (digest_message) n.digest_default = true;
    if ((multipart || message) && depth >= limits_.max_nesting) {
      n.depth_cut = true;
      CopyUntilBoundary(peBody);
      return;
    }
    if (multipart) {
      LoadMultipart(depth, me);
    } else if (message) {
      // An encoded message/rfc822 is decoded and read again by the converter.
      if (IsEncodedCte(n)) {
        CopyUntilBoundary(peBody);
      } else if (!SpendEntity()) {
        n.part_cut = true;
        CopyUntilBoundary(peBody);
      } else {
        pushNewChild();
        DoLoad(depth + 1, false);
        popChild();
      }
    } else {
      CopyUntilBoundary(peBody);
    }
  }

  void LoadMultipart(int depth, mimetic::MimeEntity* me) {
    const std::string& param = notes_[me].content_type.Param("boundary");
    if (param.empty()) {
      notes_[me].no_boundary = true;
      CopyUntilBoundary(peBody);
      return;
    }
    const bool digest = notes_[me].content_type.value == "multipart/digest";
    m_boundaryList.push_front("--" + param);
    CopyUntilBoundary(pePreamble);
    bool skipping = false;
    while (found_ == Found::kBoundary && found_level_ == 0) {
      if (found_closing_) {
        m_boundaryList.pop_front();
        CopyUntilBoundary(peEpilogue);  // what follows is the parent's business
        return;
      }
      if (skipping || !SpendEntity()) {
        skipping = true;
        notes_[me].part_cut = true;
        CopyUntilBoundary(peIgnore);
        continue;
      }
      pushNewChild();
      DoLoad(depth + 1, digest);
      popChild();
    }
    // End of input, or a boundary of an enclosing multipart: this one was never closed.
    notes_[me].missing_close = true;
    m_boundaryList.pop_front();
    if (found_ == Found::kBoundary) --found_level_;
  }

  // End of the header block at m_bit: just after the first empty line, the start of a boundary
  // line of an enclosing multipart, or the end of input.
  const char* HeaderBlockEnd() const {
    const char* p = m_bit.p;
    const char* end = m_eit.p;
    while (p < end) {
      const char* nl = static_cast<const char*>(std::memchr(p, '\n', end - p));
      const char* eol = nl ? nl : end;
      std::string_view line(p, eol - p);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (line.empty()) return nl ? nl + 1 : end;
      int level;
      bool closing;
      if (line.size() >= 2 && line[0] == '-' && line[1] == '-' &&
          MatchBoundary(line, &level, &closing))
        return p;
      p = nl ? nl + 1 : end;
    }
    return end;
  }

  bool AtBoundaryLine() {
    const char* p = m_bit.p;
    const char* end = m_eit.p;
    if (end - p < 2 || p[0] != '-' || p[1] != '-') return false;
    const char* nl = static_cast<const char*>(std::memchr(p, '\n', end - p));
    int level;
    bool closing;
    return MatchBoundary(std::string_view(p, (nl ? nl : end) - p), &level, &closing);
  }

  bool MatchBoundary(std::string_view line, int* level, bool* closing) const {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t'))
      line.remove_suffix(1);
    int lv = 0;
    for (const std::string& b : m_boundaryList) {
      if (line.size() >= b.size() && line.compare(0, b.size(), b) == 0) {
        std::string_view rest = line.substr(b.size());
        if (rest.empty() || rest == "--") {
          *level = lv;
          *closing = !rest.empty();
          return true;
        }
      }
      ++lv;
    }
    return false;
  }

  void OnBlock(const char* p, size_t n, int pe) {
    switch (pe) {
      case pePreamble:
        appendPreambleBlock(p, static_cast<int>(n));
        break;
      case peEpilogue:
        appendEpilogueBlock(p, static_cast<int>(n));
        break;
      case peBody:
        m_entityStack.top()->body().append(bytes_ + (p - lines_), n);
        break;
      default:
        break;
    }
  }

  // Copies up to the next boundary line of any enclosing multipart (or the end) and consumes that
  // line; found_, found_level_ (0 = innermost) and found_closing_ describe it.
  void CopyUntilBoundary(int pe) {
    const char* start = m_bit.p;
    const char* end = m_eit.p;
    found_ = Found::kNone;
    if (!m_boundaryList.empty()) {
      const char* q = start;
      while (q < end && (q = static_cast<const char*>(std::memchr(q, '-', end - q))) != nullptr) {
        if ((q == start || q[-1] == '\n') && q + 1 < end && q[1] == '-') {
          const char* nl = static_cast<const char*>(std::memchr(q, '\n', end - q));
          const char* eol = nl ? nl : end;
          int level;
          bool closing;
          if (MatchBoundary(std::string_view(q, eol - q), &level, &closing)) {
            // The line break before a boundary belongs to the boundary (RFC 2046 5.1.1).
            const char* body_end = q;
            if (body_end > start && body_end[-1] == '\n') {
              --body_end;
              if (body_end > start && body_end[-1] == '\r') --body_end;
            }
            OnBlock(start, body_end - start, pe);
            m_bit.p = nl ? nl + 1 : end;
            found_ = Found::kBoundary;
            found_level_ = level;
            found_closing_ = closing;
            return;
          }
          q = eol;
          continue;
        }
        ++q;
      }
    }
    OnBlock(start, end - start, pe);
    m_bit.p = end;
  }

  const AnalysisLimits& limits_;
  size_t* entities_;
  const char* lines_ = nullptr;
  const char* bytes_ = nullptr;
  std::map<const mimetic::MimeEntity*, EntityNotes> notes_;
  Found found_ = Found::kNone;
  int found_level_ = 0;
  bool found_closing_ = false;
};

bool HasBareCr(std::string_view s) {
  if (s.empty()) return false;  // its data() may be null, which memchr must not get
  const char* p = s.data();
  const char* end = p + s.size();
  while ((p = static_cast<const char*>(std::memchr(p, '\r', end - p))) != nullptr) {
    if (p + 1 == end || p[1] != '\n') return true;
    p += 2;
  }
  return false;
}

std::string ChildPath(const std::string& parent, size_t index) {
  return parent.empty() ? std::to_string(index) : parent + "." + std::to_string(index);
}

class Converter {
 public:
  Converter(const AnalysisLimits& limits, ParsedMessage* out) : limits_(limits), out_(out) {}

  // Reads `raw` as a message at `depth` into `part` (whose path the caller has not set yet).
  void ReadMessage(std::string_view raw, int depth, const std::string& container_path,
                   MimePart* part) {
    // A bare CR (one not followed by LF) ends a line for Python's email package, which splits
    // on CRLF, CR and LF alike, and so for the tools built on it; a reader that only knows LF
    // sees one long text line instead. Reading the structure that way too shows everything
    // either reading shows (the text of a one-part reading is still in the parts' bodies), so
    // the structure is read from a copy in which each bare CR is an LF. The copy has the same
    // size, and the leaves' bodies are taken from the original bytes at the same offsets: an
    // attachment's bytes, and so its digests, are what Python's email decodes, whose payloads
    // keep their line ends as written. No copy is made for a message without a bare CR.
    std::string lf_lines;
    std::string_view lines = raw;
    if (HasBareCr(raw)) {
      lf_lines.assign(raw);
      for (size_t i = 0; i < lf_lines.size(); ++i)
        if (lf_lines[i] == '\r' && (i + 1 == lf_lines.size() || lf_lines[i + 1] != '\n'))
          lf_lines[i] = '\n';
      lines = lf_lines;
      Defect("mime.bare_cr", container_path);
    }
    mimetic::MimeEntity me;
    StructureParser parser(me, limits_, &out_->part_count);
    parser.Run(lines, raw, depth);
    Convert(me, parser.notes(), depth, container_path, part);
  }

 private:
  void Defect(std::string_view code, const std::string& path, std::string_view detail = {}) {
    std::string d(code);
    d += " at ";
    d += path.empty() ? "top" : path;
    if (!detail.empty()) {
      d += ": ";
      d += detail;
    }
    out_->defects.push_back(std::move(d));
  }

  void Convert(mimetic::MimeEntity& me, std::map<const mimetic::MimeEntity*, EntityNotes>& notes,
               int depth, const std::string& container_path, MimePart* part) {
    part->depth = depth;
    EntityNotes& note = notes[&me];
    part->headers = std::move(note.headers);
    const bool header_cut = note.header_cut;
    if (part->Header("Content-Type") != nullptr) {
      part->content_type = std::move(note.content_type);
      part->content_type_given = true;
      if (!note.has_type) {
        bad_type_ = true;
        part->content_type.value = "text/plain";
      }
    } else {
      part->content_type.value = note.digest_default ? "message/rfc822" : "text/plain";
    }
    if (const HeaderField* h = part->Header("Content-Disposition"))
      part->disposition = ParseMediaParams(h->value);
    part->transfer_encoding = note.transfer_encoding.empty() ? "7bit" : note.transfer_encoding;
    part->filename = part->disposition.Param("filename");
    if (part->filename.empty()) part->filename = part->content_type.Param("name");

    auto& children = me.body().parts();
    if (part->IsMultipart() && !note.no_boundary && !note.depth_cut && children.empty()) {
      // Not one boundary line matched: everything is in the preamble, which clients then show as
      // the text. Scan it as a leaf rather than lose it.
      Defect("mime.no_parts", container_path);
      part->path = container_path.empty() && depth == 0 ? "1" : container_path;
      part->body = std::move(me.body().preamble());
      part->body += me.body().epilogue();
    } else if (part->IsMultipart() && !note.no_boundary && !note.depth_cut) {
      part->path = container_path;
      size_t i = 0;
      for (mimetic::MimeEntity* child : children) {
        part->children.emplace_back();
        MimePart& c = part->children.back();
        c.path = ChildPath(container_path, ++i);
        Convert(*child, notes, depth + 1, c.path, &c);
      }
    } else if (part->content_type.value == "message/rfc822" && !note.depth_cut &&
               !note.part_cut && (!children.empty() || IsEncodedCte(note))) {
      part->path = container_path;
      part->children.emplace_back();
      MimePart& inner = part->children.back();
      if (!children.empty()) {
        Convert(*children.front(), notes, depth + 1, container_path, &inner);
      } else {
        // base64/QP-encoded message/rfc822 (RFC 2046 forbids it; senders do it): decode, re-read.
        Defect("mime.encoded_message", container_path, part->transfer_encoding);
        std::string decoded;
        if (part->transfer_encoding == "base64") {
          DecodeBase64(me.body(), &decoded, limits_.max_decoded_bytes);
        } else {
          DecodeQuotedPrintable(me.body(), &decoded, limits_.max_decoded_bytes);
        }
        ReadMessage(decoded, depth + 1, container_path, &inner);
      }
      // The inner message is labelled like IMAP: its parts are PATH.1, PATH.2, ...
      if (inner.IsLeaf()) inner.path = ChildPath(container_path, 1);
    } else {
      part->path = container_path.empty() && depth == 0 ? "1" : container_path;
      part->body = std::move(static_cast<std::string&>(me.body()));
    }

    const std::string& where = part->path;
    if (header_cut) Defect(ToString(Limit::kHeaderBytes), where);
    if (note.header_malformed) Defect("mime.malformed_header", where);
    if (part->disposition.malformed)
      Defect("mime.malformed_parameters", where, "Content-Disposition");
    if (bad_type_) {
      Defect("mime.bad_content_type", where);
      bad_type_ = false;
    }
    if (part->content_type.malformed) Defect("mime.malformed_parameters", where, "Content-Type");
    if (note.missing_close) Defect("mime.missing_final_boundary", where);
    if (note.no_boundary) Defect("mime.missing_boundary", where);
    if (note.depth_cut) Defect(ToString(Limit::kNesting), where);
    if (note.part_cut) Defect(ToString(Limit::kParts), where);
  }

  const AnalysisLimits& limits_;
  ParsedMessage* out_;
  bool bad_type_ = false;
};

// When mimetic fails outright: headers up to the first empty line, everything else one text leaf.
MimePart FallbackRead(std::string_view raw, const AnalysisLimits& limits) {
  MimePart part;
  part.path = "1";
  size_t body = 0;
  // The body starts after the first empty line (or at the top when there is none).
  for (size_t pos = 0; pos < raw.size();) {
    size_t nl = raw.find('\n', pos);
    if (nl == std::string_view::npos) break;
    std::string_view line = raw.substr(pos, nl - pos);
    if (line.empty() || line == "\r") {
      body = nl + 1;
      break;
    }
    pos = nl + 1;
  }
  bool cut = false, malformed = false;
  part.headers = ReadHeaderFields(raw.substr(0, body), limits.max_header_bytes, &cut, &malformed);
  part.content_type.value = "text/plain";
  part.transfer_encoding = "7bit";
  part.body = std::string(raw.substr(body));
  return part;
}

}  // namespace

const HeaderField* MimePart::Header(std::string_view name) const {
  for (const HeaderField& h : headers)
    if (EqualsIgnoreCase(h.name, name)) return &h;
  return nullptr;
}

ParsedMessage ParseMime(std::string_view raw, const AnalysisLimits& limits) {
  ParsedMessage out;
  // An mbox separator line ("From sender date") before the header is not a field; without this
  // the whole header would be read as body.
  if (raw.substr(0, 5) == "From ") {
    size_t nl = raw.find('\n');
    raw = nl == std::string_view::npos ? std::string_view() : raw.substr(nl + 1);
    out.defects.push_back("mime.mbox_separator at top");
  }
  try {
    Converter conv(limits, &out);
    conv.ReadMessage(raw, 0, "", &out.root);
  } catch (const std::exception& e) {
    out = ParsedMessage{};
    out.root = FallbackRead(raw, limits);
    out.defects.push_back(std::string("mime.parse_error at top: ") + e.what());
  } catch (...) {
    out = ParsedMessage{};
    out.root = FallbackRead(raw, limits);
    out.defects.push_back("mime.parse_error at top: unknown error");
  }
  return out;
}

}  // namespace gfi
