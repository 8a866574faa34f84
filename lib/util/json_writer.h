// A minimal streaming JSON writer for our output contracts (one object per line).
//
// Strings are escaped per RFC 8259 and invalid UTF-8 is replaced with U+FFFD, so the output is
// always valid JSON whatever a message contained. Not thread-safe; one writer per output.
#ifndef GFI_UTIL_JSON_WRITER_H_
#define GFI_UTIL_JSON_WRITER_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace gfi {

class JsonWriter {
 public:
  JsonWriter() = default;

  JsonWriter& BeginObject();
  JsonWriter& EndObject();
  JsonWriter& BeginArray();
  JsonWriter& EndArray();
  JsonWriter& Key(std::string_view key);
  JsonWriter& String(std::string_view value);
  JsonWriter& Uint(uint64_t value);
  JsonWriter& Int(int64_t value);
  JsonWriter& Double(double value);
  JsonWriter& Bool(bool value);
  JsonWriter& Null();
  // A value that is already JSON (e.g. a STIX object kept minified as it was received). The
  // caller vouches for its validity; nothing is checked or escaped.
  JsonWriter& RawValue(std::string_view json);
  // Pre-allocates room for `bytes` of output.
  void Reserve(size_t bytes) { out_.reserve(bytes); }

  const std::string& str() const { return out_; }
  std::string Take() { return std::move(out_); }

 private:
  void Separate();
  std::string out_;
  std::vector<bool> first_;  // per open container: no element written yet
  bool after_key_ = false;
};

// Appends `s` as a quoted JSON string to `out`.
void AppendJsonString(std::string_view s, std::string* out);

}  // namespace gfi

#endif  // GFI_UTIL_JSON_WRITER_H_
