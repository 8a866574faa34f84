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

class Status {
 public:
  Status() = default;  // OK
  static Status Ok() { return Status(); }
  static Status Error(std::string message) { return Status(std::move(message)); }

  bool ok() const { return !message_.has_value(); }
  // The error message; empty for an OK status.
  const std::string& message() const {
    static const std::string kEmpty;
    return message_ ? *message_ : kEmpty;
  }

 private:
  explicit Status(std::string message) : message_(std::move(message)) {}
  std::optional<std::string> message_;
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

 private:
  std::variant<T, Status> v_;
};

}  // namespace gfi

#endif  // GFI_UTIL_STATUS_H_
