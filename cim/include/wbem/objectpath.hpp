#pragma once
// Object paths: `\\server\root\ns:Class.Key1="a",Key2=5`, `Class=@` for singletons, `Class` for a
// class path. WMI's __PATH / __RELPATH text and the value of reference properties.

#include <wbem/value.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace wbem {

/// One key of an instance path: `Name=value`. The value is a string, an integer, a boolean or a
/// reference (a nested path, written as a quoted string).
struct KeyBinding {
  std::string name;
  Value value;
  friend bool operator==(const KeyBinding&, const KeyBinding&) = default;
};

/// A parsed object path. Parsing and formatting round-trip exactly for every path wbem formats.
/// A key with an empty name stands for WMI's single unnamed key (`Class="value"`). A server is
/// written only together with a namespace (WMI's grammar has no server-only form).
/// Safety: a value type; safe to read from many threads.
class ObjectPath {
 public:
  ObjectPath() = default;

  /// Parses `text`; throws wbem::Error(WBEM_E_INVALID_OBJECT_PATH) with the column of the fault.
  /// Namespace separators may be `\` or `/`; they are kept as `\` (WMI's form). Thread-safe.
  static ObjectPath parse(std::string_view text);

  /// The path of a class. The factories throw WBEM_E_INVALID_OBJECT_PATH for a bad class or key
  /// name, no keys, a duplicate key, or a NULL, real, array or object key value.
  static ObjectPath forClass(std::string className);
  /// The path of an instance; keys are sorted by name (case-insensitive), as WMI writes them.
  static ObjectPath forInstance(std::string className, std::vector<KeyBinding> keys);
  /// The path of a singleton instance (`Class=@`).
  static ObjectPath forSingleton(std::string className);

  const std::string& server() const noexcept { return server_; }
  const std::string& namespacePath() const noexcept { return namespace_; }  ///< "root\\cimv2"
  const std::string& className() const noexcept { return class_; }
  const std::vector<KeyBinding>& keys() const noexcept { return keys_; }
  bool isSingleton() const noexcept { return singleton_; }
  /// True when the path names a class (no keys, not a singleton).
  bool isClass() const noexcept { return keys_.empty() && !singleton_; }
  /// True when the path has a server or namespace part.
  bool isAbsolute() const noexcept { return !server_.empty() || !namespace_.empty(); }

  void setServer(std::string server) { server_ = std::move(server); }
  /// Sets the namespace (accepts `/` or `\` separators, stored with `\`); WBEM_E_INVALID_NAMESPACE
  /// for a part that is not an identifier; "" clears it.
  void setNamespace(std::string_view ns);

  /// The key value named `name` (case-insensitive), or nullptr.
  const Value* key(std::string_view name) const noexcept;

  /// The full text: `\\server\ns:relpath`, `ns:relpath` or just the relative path. Thread-safe.
  std::string toString() const;
  /// The relative path: `Class.K="v"`, `Class=@` or `Class`. Thread-safe.
  std::string relativePath() const;

  /// Equal when all parts are equal; class, key and namespace names compare case-insensitively.
  friend bool operator==(const ObjectPath& a, const ObjectPath& b);

 private:
  std::string server_;
  std::string namespace_;
  std::string class_;
  std::vector<KeyBinding> keys_;
  bool singleton_ = false;
};

/// Normalises a namespace name to WMI's form: `/` becomes `\`, no leading or trailing separators.
std::string normalizeNamespace(std::string_view ns);

}  // namespace wbem
