// Status and Result<T>: how errors cross module boundaries in gfi-milter.
//
// No exception crosses a module API or a C callback; functions that can fail return a Status or a
// Result<T> whose message names what failed and where (file, line, key). Both are cheap to move and
// are plain values: not thread-safe to mutate concurrently, safe to copy.
#ifndef GFI_UTIL_STATUS_H_
#define GFI_UTIL_STATUS_H_

#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace gfi {

// What kind of failure, for callers that act on it (a store's not found, conflict, ...). Most
// errors are kUnknown: the message is for people.
enum class ErrorCode {
  kUnknown,
  kNotFound,    // no such entry, file or object
  kConflict,    // changed by someone else meanwhile (a claimed release, an expected status)
  kIo,          // the disk, the network or the database failed; trying later may work
  kCorruption,  // stored data does not verify (a digest differs, a schema is foreign)
  kInvalid,     // the request itself is wrong (a malformed id, a value out of range)
};

class Status {
 public:
  Status() = default;  // OK
  static Status Ok() { return Status(); }
  static Status Error(std::string message) { return Status(std::move(message)); }
  static Status Error(ErrorCode code, std::string message) {
    Status s(std::move(message));
    s.code_ = code;
    return s;
  }

  bool ok() const { return !message_.has_value(); }
  ErrorCode code() const { return code_; }  // kUnknown for OK and uncoded errors
  // The error message; empty for an OK status.
  const std::string& message() const {
    static const std::string kEmpty;
    return message_ ? *message_ : kEmpty;
  }

 private:
  explicit Status(std::string message) : message_(std::move(message)) {}
  std::optional<std::string> message_;
  ErrorCode code_ = ErrorCode::kUnknown;
};

// Either a value or an error Status. Access value() only when ok().
template <typename T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status error) : v_(std::move(error)) {}  // NOLINT: implicit by design

  bool ok() const { return std::holds_alternative<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T& value() & { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  Status status() const { return ok() ? Status::Ok() : std::get<Status>(v_); }
  const std::string& error() const { return std::get<Status>(v_).message(); }
  ErrorCode code() const { return ok() ? ErrorCode::kUnknown : std::get<Status>(v_).code(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace gfi

#endif  // GFI_UTIL_STATUS_H_
