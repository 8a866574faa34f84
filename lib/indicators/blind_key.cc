// Blinding keys and the keyed hash; see blind_key.h. HMAC-SHA256 is computed with OpenSSL's
// SHA-256 block functions (SHA-NI where the CPU has it) on states precomputed from the key: the
// EVP interfaces allocate a context per call, which the matcher's hot path cannot afford.
#define OPENSSL_SUPPRESS_DEPRECATED  // SHA256_Init/Update/Final: allocation-free, copyable state
#include "indicators/blind_key.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "util/strings.h"

namespace gfi {
namespace {

constexpr std::string_view kKeyMagic = "gfi-blind-key";
constexpr size_t kMaxKeyFileBytes = 4096;

std::string ModeText(mode_t m) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(m & 07777));
  return buf;
}

bool ParseHex(std::string_view hex, uint8_t* out, size_t n) {
  if (hex.size() != 2 * n) return false;
  for (size_t i = 0; i < n; ++i) {
    int h = HexDigitValue(hex[2 * i]), l = HexDigitValue(hex[2 * i + 1]);
    if (h < 0 || l < 0) return false;
    out[i] = static_cast<uint8_t>(h * 16 + l);
  }
  return true;
}

}  // namespace

std::string HexOf(const uint8_t* data, size_t n) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * n);
  for (size_t i = 0; i < n; ++i) {
    out.push_back(kHex[data[i] >> 4]);
    out.push_back(kHex[data[i] & 15]);
  }
  return out;
}

struct BlindKey::State {
  SHA256_CTX inner;  // after absorbing key ^ ipad
  SHA256_CTX outer;  // after absorbing key ^ opad
  ~State() { OPENSSL_cleanse(this, sizeof *this); }
};

BlindKey::BlindKey() : state_(std::make_unique<State>()) {}
BlindKey::~BlindKey() = default;

std::shared_ptr<const BlindKey> BlindKey::FromBytes(const std::array<uint8_t, kBlindKeyBytes>& key,
                                                    std::string file) {
  std::shared_ptr<BlindKey> k(new BlindKey());
  uint8_t pad[SHA256_CBLOCK];
  std::memset(pad, 0, sizeof pad);
  std::memcpy(pad, key.data(), key.size());  // a 32-byte key is shorter than the block: padded
  for (uint8_t& b : pad) b ^= 0x36;
  SHA256_Init(&k->state_->inner);
  SHA256_Update(&k->state_->inner, pad, sizeof pad);
  for (uint8_t& b : pad) b ^= 0x36 ^ 0x5c;
  SHA256_Init(&k->state_->outer);
  SHA256_Update(&k->state_->outer, pad, sizeof pad);
  OPENSSL_cleanse(pad, sizeof pad);
  uint8_t digest[SHA256_DIGEST_LENGTH];
  SHA256(key.data(), key.size(), digest);
  k->id_ = HexOf(digest, 8);
  k->file_ = std::move(file);
  return k;
}

BlindHash BlindKey::Hash(ObservableType type, std::string_view value) const {
  const std::string_view tag = ToString(type);
  SHA256_CTX c = state_->inner;
  SHA256_Update(&c, tag.data(), tag.size());
  static constexpr uint8_t kSeparator = 0;
  SHA256_Update(&c, &kSeparator, 1);
  SHA256_Update(&c, value.data(), value.size());
  uint8_t inner[SHA256_DIGEST_LENGTH];
  SHA256_Final(inner, &c);
  c = state_->outer;
  SHA256_Update(&c, inner, sizeof inner);
  uint8_t mac[SHA256_DIGEST_LENGTH];
  SHA256_Final(mac, &c);
  BlindHash out;
  std::memcpy(out.data(), mac, out.size());
  return out;
}

Status BlindKeyring::Add(std::shared_ptr<const BlindKey> key) {
  if (auto have = Find(key->id()))
    return Status::Error(key->file() + ": key " + key->id() + " is already configured (" +
                         have->file() + ")");
  keys_.push_back(std::move(key));
  return Status::Ok();
}

std::shared_ptr<const BlindKey> BlindKeyring::Find(std::string_view id) const {
  for (const auto& k : keys_)
    if (k->id() == id) return k;
  return nullptr;
}

std::string BlindKeyring::Describe() const {
  if (keys_.empty()) return "none";
  std::string out;
  for (const auto& k : keys_) {
    if (!out.empty()) out += ", ";
    out += k->id();
    if (!k->file().empty()) out += " (" + k->file() + ")";
  }
  return out;
}

Result<std::shared_ptr<const BlindKey>> ReadBlindKeyFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    return Status::Error(path + ": cannot open blinding key: " + std::strerror(errno));
  struct stat st;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return Status::Error(path + ": not a regular file");
  }
  if ((st.st_mode & 077) != 0) {
    ::close(fd);
    return Status::Error(path + ": blinding key has mode " + ModeText(st.st_mode) +
                         ": group or others can access it; a key must be private "
                         "(chmod 600, owned by the user that reads it)");
  }
  std::string text(kMaxKeyFileBytes + 1, '\0');
  std::array<uint8_t, kBlindKeyBytes> bytes{};
  // The key's text and bytes are wiped on every way out, errors included.
  struct Wipe {
    std::string* text;
    std::array<uint8_t, kBlindKeyBytes>* bytes;
    ~Wipe() {
      OPENSSL_cleanse(text->data(), text->size());
      OPENSSL_cleanse(bytes->data(), bytes->size());
    }
  } wipe{&text, &bytes};
  size_t got = 0;
  while (got < text.size()) {
    ssize_t n = ::read(fd, text.data() + got, text.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int e = errno;
      ::close(fd);
      return Status::Error(path + ": cannot read blinding key: " + std::strerror(e));
    }
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  ::close(fd);
  if (got > kMaxKeyFileBytes) return Status::Error(path + ": not a blinding key (too large)");
  text.resize(got);
  std::string_view rest = text;
  bool magic = false;
  std::string id;
  bool have_key = false;
  int line_no = 0;
  while (!rest.empty()) {
    size_t nl = rest.find('\n');
    std::string_view line = rest.substr(0, nl);
    rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    line = Trim(line);
    if (line.empty() || line[0] == '#') continue;
    size_t sep = line.find_first_of(" \t");
    std::string_view name = line.substr(0, sep);
    std::string_view value = sep == std::string_view::npos ? "" : Trim(line.substr(sep + 1));
    const std::string where = path + ":" + std::to_string(line_no) + ": ";
    if (!magic) {
      if (name != kKeyMagic)
        return Status::Error(where + "not a blinding key (expected \"gfi-blind-key 1\")");
      if (value != "1")
        return Status::Error(where + "unsupported blinding key version '" + std::string(value) +
                             "' (this gfi-milter reads version 1)");
      magic = true;
    } else if (name == "key-id") {
      id = std::string(value);
    } else if (name == "key") {
      if (!ParseHex(value, bytes.data(), bytes.size()))
        return Status::Error(where + "key must be 64 hex digits");  // never echo the value
      have_key = true;
    } else {
      return Status::Error(where + "unknown line '" + std::string(name) + "'");
    }
  }
  if (!magic) return Status::Error(path + ": not a blinding key (empty)");
  if (!have_key) return Status::Error(path + ": no key line");
  auto key = BlindKey::FromBytes(bytes, path);
  if (!id.empty() && id != key->id())
    return Status::Error(path + ": key-id " + id + " does not match its key (" + key->id() +
                         "): the file is damaged");
  return key;
}

Result<BlindKeyring> LoadBlindKeyring(const std::vector<std::string>& paths) {
  BlindKeyring ring;
  for (const std::string& p : paths) {
    auto k = ReadBlindKeyFile(p);
    if (!k.ok()) return k.status();
    if (Status s = ring.Add(std::move(k).value()); !s.ok()) return s;
  }
  return ring;
}

std::array<uint8_t, kBlindKeyBytes> GenerateBlindKey() {
  if (sodium_init() < 0) std::abort();  // no entropy source: never make a weak key
  std::array<uint8_t, kBlindKeyBytes> k;
  randombytes_buf(k.data(), k.size());
  return k;
}

std::string BlindKeyFileText(const BlindKey& key, const std::array<uint8_t, kBlindKeyBytes>& bytes) {
  return "# gfi-milter blinding key (gfictl indicators keygen). SECRET: whoever holds it can test\n"
         "# guesses against the feeds blinded with it. Keep it mode 0600.\n" +
         std::string(kKeyMagic) + " 1\nkey-id " + key.id() + "\nkey " +
         HexOf(bytes.data(), bytes.size()) + "\n";
}

Status WriteBlindKeyFile(const std::string& path, const std::array<uint8_t, kBlindKeyBytes>& bytes) {
  auto key = BlindKey::FromBytes(bytes);
  std::string text = BlindKeyFileText(*key, bytes);
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return Status::Error(path + ": cannot create key file: " + std::strerror(errno));
  ::fchmod(fd, 0600);  // whatever the umask
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int e = errno;
      ::close(fd);
      ::unlink(path.c_str());
      OPENSSL_cleanse(text.data(), text.size());
      return Status::Error(path + ": cannot write key file: " + std::strerror(e));
    }
    done += static_cast<size_t>(n);
  }
  OPENSSL_cleanse(text.data(), text.size());
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    ::unlink(path.c_str());
    return Status::Error(path + ": cannot write key file: " + std::strerror(errno));
  }
  return Status::Ok();
}

}  // namespace gfi
