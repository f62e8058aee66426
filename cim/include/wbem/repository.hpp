#pragma once
// wbem::Repository — the persistent repository: namespaces, classes and static instances kept in
// one SQLite file, so that they outlive the process. WMI mapping: the CIM repository
// (%windir%\System32\wbem\Repository) and IWbemBackupRestore.
//
// Each object is stored as its MOF text (ClassObject::getObjectText with WBEM_FLAG_EXACT_TEXT:
// with the `Qualifier` declarations that keep its qualifiers' types) and read back with the MOF
// compiler, equal to what was put (compareTo). What MOF cannot express is refused when it is put. The file is in WAL
// mode and every change is one transaction, so a crash at any moment loses no committed change and leaves a consistent
// file. The schema is versioned with PRAGMA user_version and marked as wbem's with PRAGMA application_id.

#include <wbem/classobject.hpp>
#include <wbem/namespace.hpp>

#include <cstddef>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace wbem {

struct RepositoryOptions {
  /// synchronous=FULL instead of NORMAL: also survive power loss, at the cost of an fsync per change.
  /// (With WAL, NORMAL already loses no committed change when the process is killed.)
  bool durableAgainstPowerLoss = false;
};

/// Counts of what the repository holds.
struct RepositoryCounts {
  std::size_t namespaces = 0, classes = 0, instances = 0;
};

/// The persistent repository. Errors are wbem::Error: the path and SQLite's message, with
/// WBEM_E_FAILED or a closer status (WBEM_E_OUT_OF_DISK_SPACE, WBEM_E_ACCESS_DENIED,
/// WBEM_E_DATABASE_VER_MISMATCH, ...).
/// Safety: every member function is thread-safe: one SQLite connection serves the calls one at a
/// time, except backup(), which reads through a connection of its own and so lets writes go on.
class Repository {
 public:
  /// The schema version this build writes and reads.
  static constexpr int kSchemaVersion = 2;

  /// Opens or creates the repository at `path` (its directory must exist): WAL mode, schema
  /// versioned with PRAGMA user_version. A newer version is refused (WBEM_E_DATABASE_VER_MISMATCH,
  /// naming both versions), an older one migrated; a file that is not a wbem repository is refused.
  explicit Repository(std::filesystem::path path, RepositoryOptions options = {});
  ~Repository();
  Repository(const Repository&) = delete;
  Repository& operator=(const Repository&) = delete;

  /// The file the repository is kept in. Thread-safe.
  const std::filesystem::path& path() const noexcept { return path_; }

  // --- writes: each is one SQLite transaction ------------------------------------------------
  /// Records namespace `name` (normalised as Namespace does, compared case-insensitively);
  /// nothing happens when it is already there. WBEM_E_INVALID_NAMESPACE for an empty name. Thread-safe.
  void putNamespace(std::string_view name);
  /// Stores namespace `name`'s own security descriptor (SDDL), or with nullopt records that it
  /// inherits its parent's. WBEM_E_INVALID_NAMESPACE when `name` is not stored. Thread-safe.
  void putNamespaceSecurity(std::string_view name, const std::optional<std::string>& sddl);
  /// Removes namespace `name` and every namespace below it, with their classes and instances;
  /// nothing happens when it is not there. Thread-safe.
  void deleteNamespace(std::string_view name);
  /// Inserts or updates class `cls` of namespace `ns` (WBEM_E_INVALID_NAMESPACE when `ns` is not
  /// stored); an update keeps the class's place in creation order. System classes (`__` names) are
  /// built in and silently not stored. A class that its MOF text cannot carry is refused with
  /// WBEM_E_INVALID_PARAMETER, naming the property or qualifier, and the stored copy (if any) is
  /// left as it was: a default value that holds a class (an embedded class; MOF has only embedded
  /// instances), a reference or object qualifier value, a qualifier name that is no MOF
  /// identifier, or one qualifier name with values of several types in one class, not all of the
  /// types their MOF literals give (see ClassObject::getObjectText). Thread-safe.
  void putClass(std::string_view ns, const ClassObject& cls);
  /// Removes class `className` of `ns`, every class derived from it and their instances, in one
  /// transaction; nothing happens when the class is not stored. Thread-safe.
  void deleteClass(std::string_view ns, std::string_view className);
  /// Inserts or updates `instance` of `ns`, keyed by its relative path (compared case-insensitively,
  /// as WMI compares keys); its keys must be set (WBEM_E_ILLEGAL_NULL). An instance that its MOF
  /// text cannot carry is refused as putClass says (a property value that holds a class, at any
  /// depth of embedded instances, ...), with WBEM_E_INVALID_PARAMETER naming the property.
  /// Thread-safe.
  void putInstance(std::string_view ns, const ClassObject& instance);
  /// Removes the stored instance with the relative path of `instance`; nothing happens when it is
  /// not stored. Thread-safe.
  void deleteInstance(std::string_view ns, const ClassObject& instance);

  // --- reading (at start-up or after a restore) ----------------------------------------------
  /// Stored namespace names, each parent before its children. Thread-safe.
  std::vector<std::string> namespaces() const;
  /// Puts the stored classes of `ns` (in creation order), then its instances (in the order first
  /// stored), into `target`, a fresh Namespace, with one MOF compile. A stored object that no
  /// longer loads is reported as an Error naming namespace, object and cause, and then nothing is
  /// put into `target`. Thread-safe.
  void load(std::string_view ns, Namespace& target) const;
  /// Namespace `name`'s own security descriptor (SDDL) as putNamespaceSecurity stored it; nullopt
  /// when it inherits, or is not stored. Thread-safe.
  std::optional<std::string> namespaceSecurity(std::string_view name) const;
  /// How many namespaces, classes and instances are stored. Thread-safe.
  RepositoryCounts counts() const;

  // --- backup and restore (IWbemBackupRestore) -----------------------------------------------
  /// Writes a consistent copy of the whole repository to `file` (replacing it) while the
  /// repository stays in use: writes go on during the copy (sqlite3_backup on a reader of its own).
  /// Thread-safe.
  void backup(const std::filesystem::path& file) const;
  /// Replaces the repository's contents with those of backup `file`, after checking that it is a
  /// wbem repository of a version this build reads (an older one is migrated). On any error the
  /// current contents are untouched. The caller reloads the namespaces afterwards. Thread-safe.
  void restore(const std::filesystem::path& file);

 private:
  struct State;  // the connection and its prepared statements (SQLite stays out of this header)

  std::filesystem::path path_;
  mutable std::mutex mutex_;  // guards state_: one SQLite connection serves one call at a time
  std::unique_ptr<State> state_;
};

}  // namespace wbem
