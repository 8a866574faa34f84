// Output formats of `gfictl inspect`. JSON keys and their order are a contract (product.md);
// extra keys may be added, none renamed.
#include "inspect_render.h"

#include <fmt/format.h>

#include "util/json_writer.h"
#include "util/strings.h"

namespace gfi {

std::string InspectJson(std::string_view file, const MessageAnalysis& a) {
  JsonWriter w;
  w.BeginObject();
  w.Key("file").String(file);
  w.Key("size").Uint(a.size);
  w.Key("defects").BeginArray();
  for (const std::string& d : a.defects) w.String(d);
  w.EndArray();
  w.Key("parts").BeginArray();
  for (const PartReport& p : a.parts) {
    w.BeginObject();
    w.Key("path").String(p.path);
    w.Key("content_type").String(p.content_type);
    if (!p.filename.empty()) w.Key("filename").String(p.filename);
    if (!p.charset.empty()) w.Key("charset").String(p.charset);
    w.Key("transfer_encoding").String(p.transfer_encoding);
    w.Key("size").Uint(p.size);
    w.Key("attachment").Bool(p.attachment);
    if (p.attachment) {
      w.Key("md5").String(p.digests.md5);
      w.Key("sha1").String(p.digests.sha1);
      w.Key("sha256").String(p.digests.sha256);
    }
    if (!p.members.empty()) {
      w.Key("members").BeginArray();
      for (const ArchiveMember& m : p.members) {
        w.BeginObject();
        w.Key("name").String(m.name);
        w.Key("size").Uint(m.size);
        w.Key("depth").Int(m.depth);
        w.Key("md5").String(m.digests.md5);
        w.Key("sha1").String(m.digests.sha1);
        w.Key("sha256").String(m.digests.sha256);
        w.EndObject();
      }
      w.EndArray();
    }
    w.EndObject();
  }
  w.EndArray();
  w.Key("subject").String(a.subject);
  w.Key("observables").BeginArray();
  for (const Observable& o : a.observables) {
    w.BeginObject();
    w.Key("type").String(ToString(o.type));
    w.Key("value").String(o.value);
    w.Key("where").String(ToString(o.where));
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return w.Take();
}

std::string InspectText(std::string_view file, const MessageAnalysis& a) {
  std::string out = fmt::format("{}: {} bytes, {} parts, {} observables\n", PrintableUtf8(file),
                                a.size, a.parts.size(), a.observables.size());
  if (!a.subject.empty()) out += fmt::format("  subject: {}\n", PrintableUtf8(a.subject));
  if (a.defects.empty()) {
    out += "  defects: none\n";
  } else {
    out += "  defects:\n";
    for (const std::string& d : a.defects) out += fmt::format("    {}\n", PrintableUtf8(d));
  }
  out += "  parts:\n";
  for (const PartReport& p : a.parts) {
    out += fmt::format("    {:<8} {:<32} {:>10} B  {}\n", p.path, PrintableUtf8(p.content_type), p.size,
                       PrintableUtf8(p.filename));
    if (p.attachment) out += fmt::format("             sha256 {}\n", p.digests.sha256);
    for (const ArchiveMember& m : p.members)
      out += fmt::format("             member {} ({} B) sha256 {}\n", PrintableUtf8(m.name), m.size,
                         m.digests.sha256);
  }
  out += "  observables:\n";
  for (const Observable& o : a.observables)
    out += fmt::format("    {:<9} {:<24} {}\n", ToString(o.type), ToString(o.where),
                       PrintableUtf8(o.value));
  return out;
}

}  // namespace gfi
