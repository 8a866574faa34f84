// Deadline: a point on the monotonic clock by which a piece of work should stop, or none.
//
// A value type, cheap to copy; Expired() reads the clock and is thread-safe. Used for the
// per-message scan budget ([limits] max_scan_ms): work checks it between steps (parts, texts,
// regexes), so a step already running finishes first.
#ifndef GFI_UTIL_DEADLINE_H_
#define GFI_UTIL_DEADLINE_H_

#include <chrono>
#include <cstdint>

namespace gfi {

class Deadline {
 public:
  using Clock = std::chrono::steady_clock;

  // No deadline: never expires.
  Deadline() = default;
  static Deadline At(Clock::time_point at) { return Deadline(at); }
  static Deadline After(std::chrono::milliseconds budget, Clock::time_point start = Clock::now()) {
    return Deadline(start + budget);
  }

  bool Expired() const { return set_ && Clock::now() >= at_; }
  bool set() const { return set_; }

 private:
  explicit Deadline(Clock::time_point at) : at_(at), set_(true) {}
  Clock::time_point at_{};
  bool set_ = false;
};

}  // namespace gfi

#endif  // GFI_UTIL_DEADLINE_H_
