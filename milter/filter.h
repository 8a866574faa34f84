// The libmilter callbacks: a thin adapter from the milter protocol to the engine (analysis,
// matching, policy) and from the verdict back to the MTA. Every callback is noexcept: an
// exception or error inside becomes [milter] on_error for that message, never a crash and never
// a silent accept.
#ifndef GFI_MILTER_FILTER_H_
#define GFI_MILTER_FILTER_H_

#include <libmilter/mfapi.h>

#include "engine/engine.h"

namespace gfi {

// The filter description to pass to smfi_register; `engine` must outlive smfi_main.
smfiDesc MakeFilter(Engine* engine);

}  // namespace gfi

#endif  // GFI_MILTER_FILTER_H_
