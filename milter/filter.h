// The libmilter callbacks: a thin adapter from the milter protocol to the engine (analysis,
// matching, policy) and from the verdict back to the MTA. Every callback is noexcept: an
// exception or error inside becomes [milter] on_error for that message, never a crash and never
// a silent accept.
#ifndef GFI_MILTER_FILTER_H_
#define GFI_MILTER_FILTER_H_

#include <libmilter/mfapi.h>

#include "engine/engine.h"
#include "hits/hit_writer.h"
#include "metrics/metrics.h"

namespace gfi {

// The filter description to pass to smfi_register; `engine` and `hits` must outlive smfi_main.
// `hits` may be null ([hits] enabled = false). Each scanned message is pushed to `hits` (a queue
// append, no I/O) and counted in the metrics (SetFilterMetrics; none until it is called).
smfiDesc MakeFilter(Engine* engine, HitWriter* hits);
// The metrics the callbacks count in; set before smfi_main, must outlive it.
void SetFilterMetrics(Metrics* metrics);

}  // namespace gfi

#endif  // GFI_MILTER_FILTER_H_
