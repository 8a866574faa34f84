// The quarantine's vocabulary: an entry's status and mode. Their names are stored in the index,
// printed by gfictl and matched by `gfictl quarantine list --status`.
#ifndef GFI_GLOBAL_QUARANTINE_NAMES_H_
#define GFI_GLOBAL_QUARANTINE_NAMES_H_

#include "global/names.h"

namespace gfi {

// held -> releasing -> released; held -> deleted; a store-mode entry whose message file is gone
// is missing.
enum class QuarantineStatus { kHeld, kReleasing, kReleased, kDeleted, kMissing };
inline constexpr NameTable<QuarantineStatus, 5> kQuarantineStatusNames{{{
    {QuarantineStatus::kHeld, "held"},
    {QuarantineStatus::kReleasing, "releasing"},
    {QuarantineStatus::kReleased, "released"},
    {QuarantineStatus::kDeleted, "deleted"},
    {QuarantineStatus::kMissing, "missing"},
}}};
static_assert(NameTableIsDense(kQuarantineStatusNames));

// store: the message is kept by gfi-milter (and the MTA told to discard it); hold: it waits in
// the MTA's hold queue and only its record is kept.
enum class QuarantineMode { kStore, kHold };
inline constexpr NameTable<QuarantineMode, 2> kQuarantineModeNames{{{
    {QuarantineMode::kStore, "store"},
    {QuarantineMode::kHold, "hold"},
}}};
static_assert(NameTableIsDense(kQuarantineModeNames));

// [store] backend: where entries (and their bytes) live.
enum class StoreBackend { kSqlite, kPostgresql };
inline constexpr NameTable<StoreBackend, 2> kStoreBackendNames{{{
    {StoreBackend::kSqlite, "sqlite"},
    {StoreBackend::kPostgresql, "postgresql"},
}}};
static_assert(NameTableIsDense(kStoreBackendNames));

inline std::string_view ToString(QuarantineStatus s) { return kQuarantineStatusNames.Name(s); }
inline std::string_view ToString(QuarantineMode m) { return kQuarantineModeNames.Name(m); }
inline std::string_view ToString(StoreBackend b) { return kStoreBackendNames.Name(b); }

}  // namespace gfi

#endif  // GFI_GLOBAL_QUARANTINE_NAMES_H_
