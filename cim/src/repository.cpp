// The persistent repository on SQLite.
//
// Each object is stored as its exact MOF text (getObjectText with WBEM_FLAG_EXACT_TEXT): the
// `Qualifier` declarations its qualifiers need to keep their types, then the object. So an object
// that MOF cannot express is refused when it is put, never found out when its namespace loads.
//
// Schema (version 1): namespaces, classes and instances, each row an object's MOF text. Names and
// relative paths are compared with COLLATE NOCASE, which folds ASCII only, as wbem's names do. Row
// ids give the creation order that loading follows; an upsert keeps a row's id. Classes and
// instances hang off their namespace with ON DELETE CASCADE, so deleting a namespace is one
// statement. A class row keeps its superclass name, so a recursive query finds its subclasses.

#include <wbem/mof.hpp>
#include <wbem/names.hpp>
#include <wbem/repository.hpp>
#include <wbem/status.hpp>

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <sqlite3.h>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

namespace wbem {
namespace {

// PRAGMA application_id of a wbem repository ("WBEM"): tells our files from other SQLite files.
constexpr int kApplicationId = 0x5742454D;
// How long a call waits for a lock another connection holds (a backup reader, another process).
constexpr int kBusyTimeoutMs = 10000;

constexpr const char* kSchema = R"sql(
CREATE TABLE namespaces(
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE COLLATE NOCASE
);
CREATE TABLE classes(
  id INTEGER PRIMARY KEY,
  namespace INTEGER NOT NULL REFERENCES namespaces(id) ON DELETE CASCADE,
  name TEXT NOT NULL COLLATE NOCASE,
  superclass TEXT NOT NULL COLLATE NOCASE,
  mof TEXT NOT NULL,
  UNIQUE(namespace, name)
);
CREATE INDEX classes_by_superclass ON classes(namespace, superclass);
CREATE TABLE instances(
  id INTEGER PRIMARY KEY,
  namespace INTEGER NOT NULL REFERENCES namespaces(id) ON DELETE CASCADE,
  class TEXT NOT NULL COLLATE NOCASE,
  path TEXT NOT NULL COLLATE NOCASE,
  mof TEXT NOT NULL,
  UNIQUE(namespace, path)
);
CREATE INDEX instances_by_class ON instances(namespace, class);
)sql";

struct ConnectionCloser {
  void operator()(sqlite3* db) const noexcept { sqlite3_close_v2(db); }
};
using Connection = std::unique_ptr<sqlite3, ConnectionCloser>;

struct StatementFinalizer {
  void operator()(sqlite3_stmt* statement) const noexcept { sqlite3_finalize(statement); }
};
using Statement = std::unique_ptr<sqlite3_stmt, StatementFinalizer>;

Status statusOf(int code) {
  switch (code & 0xFF) {  // the primary code of an extended one
    case SQLITE_FULL:
      return WBEM_E_OUT_OF_DISK_SPACE;
    case SQLITE_NOMEM:
      return WBEM_E_OUT_OF_MEMORY;
    case SQLITE_PERM:
    case SQLITE_READONLY:
    case SQLITE_AUTH:
      return WBEM_E_ACCESS_DENIED;
    default:
      return WBEM_E_FAILED;
  }
}

// `where` starts the message and names the files: "repository /var/lib/wbem/repository.db".
[[noreturn]] void fail(const std::string& where, int code, const std::string& what, const char* message) {
  throw Error(statusOf(code), where + ": " + what + ": " + message);
}

[[noreturn]] void fail(const std::string& where, sqlite3* db, int code, const std::string& what) {
  fail(where, code, what, sqlite3_errmsg(db));
}

Connection open(const std::string& where, const std::string& file, int flags) {
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(file.c_str(), &raw, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  Connection db(raw);  // closed even when opening failed
  if (rc != SQLITE_OK) fail(where, rc, "cannot open", raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc));
  sqlite3_busy_timeout(db.get(), kBusyTimeoutMs);
  return db;
}

void exec(const std::string& where, sqlite3* db, const char* sql, const char* what) {
  const int rc = sqlite3_exec(db, sql, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) fail(where, db, rc, what);
}

Statement prepare(const std::string& where, sqlite3* db, const std::string& sql) {
  sqlite3_stmt* raw = nullptr;
  const int rc = sqlite3_prepare_v3(db, sql.c_str(), -1, SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
  if (rc != SQLITE_OK) fail(where, db, rc, "cannot prepare a statement");
  return Statement(raw);
}

// One use of a prepared statement: binds, steps, reads columns, and resets the statement at the end
// of the use, so that a kept statement holds no lock and no stale binding afterwards.
class Use {
 public:
  Use(const std::string& where, sqlite3* db, sqlite3_stmt* statement, const char* what)
      : where_(where), db_(db), statement_(statement), what_(what) {}
  ~Use() {
    sqlite3_reset(statement_);
    sqlite3_clear_bindings(statement_);
  }
  Use(const Use&) = delete;
  Use& operator=(const Use&) = delete;

  Use& bind(int index, std::string_view text) {
    check(sqlite3_bind_text(statement_, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT));
    return *this;
  }
  // True when a row is ready, false when the statement has finished.
  bool step() {
    const int rc = sqlite3_step(statement_);
    if (rc == SQLITE_ROW) return true;
    if (rc != SQLITE_DONE) fail(where_, db_, rc, what_);
    return false;
  }
  // Runs a statement that returns no row.
  void run() { step(); }
  sqlite3_int64 integer(int column) const { return sqlite3_column_int64(statement_, column); }
  bool isNull(int column) const { return sqlite3_column_type(statement_, column) == SQLITE_NULL; }
  std::string text(int column) const {
    const auto* data = reinterpret_cast<const char*>(sqlite3_column_text(statement_, column));
    return data ? std::string(data, static_cast<std::size_t>(sqlite3_column_bytes(statement_, column))) : std::string();
  }

 private:
  void check(int rc) const {
    if (rc != SQLITE_OK) fail(where_, db_, rc, what_);
  }

  const std::string& where_;
  sqlite3* db_;
  sqlite3_stmt* statement_;
  const char* what_;
};

sqlite3_int64 queryNumber(const std::string& where, sqlite3* db, const char* sql, const char* what) {
  Statement statement = prepare(where, db, sql);
  Use use(where, db, statement.get(), what);
  return use.step() ? use.integer(0) : 0;
}

// Checks that `db` holds a wbem repository this build reads (or, with `mayBeEmpty`, an empty
// database) and returns its schema version: 0 for an empty database. Reads only.
int checkFormat(const std::string& where, sqlite3* db, bool mayBeEmpty) {
  // The first read of the file: one that is not SQLite fails here ("file is not a database").
  constexpr const char* kNotOurs = "not a wbem repository";
  const sqlite3_int64 version = queryNumber(where, db, "PRAGMA user_version", kNotOurs);
  const sqlite3_int64 application = queryNumber(where, db, "PRAGMA application_id", kNotOurs);
  const sqlite3_int64 objects = queryNumber(where, db, "SELECT count(*) FROM sqlite_schema", kNotOurs);
  if (application == 0 && version == 0 && objects == 0) {
    if (mayBeEmpty) return 0;
    throw Error(WBEM_E_FAILED, where + ": not a wbem repository: an empty database");
  }
  if (application != kApplicationId)
    throw Error(WBEM_E_FAILED, where + ": not a wbem repository: an SQLite database of another application");
  if (version > Repository::kSchemaVersion)
    throw Error(WBEM_E_DATABASE_VER_MISMATCH,
                where + ": schema version " + std::to_string(version) + " is newer than version " +
                    std::to_string(Repository::kSchemaVersion) + ", the newest this build reads");
  if (version < 1) throw Error(WBEM_E_FAILED, where + ": not a wbem repository: it has no schema version");
  return static_cast<int>(version);
}

// Brings a database of schema `version` (0: empty) to kSchemaVersion, inside the caller's
// transaction. Each later version adds its step here.
void migrate(const std::string& where, sqlite3* db, int version) {
  if (version < 1) exec(where, db, kSchema, "cannot create the schema");
  // 2: a namespace's own security descriptor (SDDL); NULL when it inherits its parent's.
  if (version < 2) exec(where, db, "ALTER TABLE namespaces ADD COLUMN security TEXT", "cannot add namespace security");
  const std::string stamp = "PRAGMA application_id = " + std::to_string(kApplicationId) +
                            "; PRAGMA user_version = " + std::to_string(Repository::kSchemaVersion);
  exec(where, db, stamp.c_str(), "cannot set the schema version");
}

// Copies the whole of database `from` into `to` as one transaction of `to` (sqlite3_backup).
void copyDatabase(const std::string& where, sqlite3* to, sqlite3* from, const std::string& what) {
  // A lock held elsewhere makes a step fail without waiting; it is retried for the busy timeout.
  constexpr int kRetryMs = 10;
  for (int waited = 0;; waited += kRetryMs) {
    sqlite3_backup* backup = sqlite3_backup_init(to, "main", from, "main");
    if (!backup) fail(where, to, sqlite3_errcode(to), what);
    const int stepped = sqlite3_backup_step(backup, -1);
    const int finished = sqlite3_backup_finish(backup);
    if (stepped == SQLITE_DONE && finished == SQLITE_OK) return;
    if (finished != SQLITE_OK) fail(where, to, finished, what);
    if ((stepped != SQLITE_BUSY && stepped != SQLITE_LOCKED) || waited >= kBusyTimeoutMs)
      fail(where, stepped, what, sqlite3_errstr(stepped));
    sqlite3_sleep(kRetryMs);
  }
}

// Orders classes so that each follows its superclass, otherwise keeping creation order (a class
// updated to derive from a class created after it moves behind that class). Returns indexes.
std::vector<std::size_t> superclassFirst(const std::vector<std::string>& names,
                                         const std::vector<std::string>& superclasses) {
  std::map<std::string, std::size_t, NameLess> index;
  for (std::size_t i = 0; i < names.size(); ++i) index.emplace(names[i], i);
  std::vector<bool> placed(names.size(), false);
  std::multimap<std::string, std::size_t, NameLess> waiting;  // keyed by the superclass waited for
  std::vector<std::size_t> order;
  for (std::size_t i = 0; i < names.size(); ++i) {
    const auto super = index.find(superclasses[i]);
    if (super != index.end() && !placed[super->second]) {
      waiting.emplace(superclasses[i], i);
      continue;
    }
    std::vector<std::size_t> ready{i};
    while (!ready.empty()) {
      const std::size_t next = ready.back();
      ready.pop_back();
      placed[next] = true;
      order.push_back(next);
      const auto [first, last] = waiting.equal_range(names[next]);
      std::vector<std::size_t> children;
      for (auto it = first; it != last; ++it) children.push_back(it->second);
      waiting.erase(first, last);
      ready.insert(ready.end(), children.rbegin(), children.rend());  // popped in creation order
    }
  }
  // Classes whose superclass chain is circular cannot be placed; the compile reports them.
  for (const auto& entry : waiting) order.push_back(entry.second);
  return order;
}

}  // namespace

struct Repository::State {
  std::string where;  // "repository PATH", the start of every message
  Connection db;
  Statement begin, commit, rollback;
  Statement putNamespace, deleteNamespace, namespaces, counts, putSecurity, security;
  Statement putClass, deleteClassInstances, deleteClasses;
  Statement putInstance, deleteInstance;
  Statement contents;

  void prepareAll() {
    sqlite3* d = db.get();
    begin = prepare(where, d, "BEGIN IMMEDIATE");
    commit = prepare(where, d, "COMMIT");
    rollback = prepare(where, d, "ROLLBACK");
    putNamespace = prepare(where, d, "INSERT INTO namespaces(name) VALUES(?1) ON CONFLICT(name) DO NOTHING");
    putSecurity = prepare(where, d, "UPDATE namespaces SET security = ?2 WHERE name = ?1");
    security = prepare(where, d, "SELECT security FROM namespaces WHERE name = ?1");
    deleteNamespace = prepare(where, d,
                              "DELETE FROM namespaces WHERE name = ?1 "
                              "OR substr(name, 1, length(?1) + 1) = (?1 || '\\') COLLATE NOCASE");
    // Parents before children: fewer separators first, then creation order.
    namespaces =
        prepare(where, d, "SELECT name FROM namespaces ORDER BY length(name) - length(replace(name, '\\', '')), id");
    counts = prepare(where, d,
                     "SELECT (SELECT count(*) FROM namespaces), (SELECT count(*) FROM classes), "
                     "(SELECT count(*) FROM instances)");
    // INSERT ... SELECT inserts nothing when the namespace is not stored (the caller checks).
    putClass = prepare(where, d,
                       "INSERT INTO classes(namespace, name, superclass, mof) "
                       "SELECT id, ?2, ?3, ?4 FROM namespaces WHERE name = ?1 "
                       "ON CONFLICT(namespace, name) DO UPDATE "
                       "SET name = excluded.name, superclass = excluded.superclass, mof = excluded.mof");
    const std::string doomed =
        "WITH RECURSIVE doomed(name) AS (SELECT ?2 UNION "
        "SELECT c.name FROM classes c JOIN doomed d ON c.superclass = d.name "
        "WHERE c.namespace = (SELECT id FROM namespaces WHERE name = ?1)) ";
    deleteClassInstances =
        prepare(where, d,
                doomed +
                    "DELETE FROM instances WHERE namespace = (SELECT id FROM namespaces WHERE name = "
                    "?1) AND class IN (SELECT name FROM doomed)");
    deleteClasses = prepare(where, d,
                            doomed +
                                "DELETE FROM classes WHERE namespace = (SELECT id FROM namespaces WHERE name = ?1) "
                                "AND name IN (SELECT name FROM doomed)");
    putInstance = prepare(where, d,
                          "INSERT INTO instances(namespace, class, path, mof) "
                          "SELECT id, ?2, ?3, ?4 FROM namespaces WHERE name = ?1 "
                          "ON CONFLICT(namespace, path) DO UPDATE "
                          "SET class = excluded.class, path = excluded.path, mof = excluded.mof");
    deleteInstance = prepare(where, d,
                             "DELETE FROM instances "
                             "WHERE namespace = (SELECT id FROM namespaces WHERE name = ?1) AND path = ?2");
    // One statement reads a namespace's whole contents, so they come from one committed state:
    // kind 0 is the namespace itself, 1 its classes, 2 its instances.
    contents = prepare(where, d,
                       "SELECT 0, id, name, '', '' FROM namespaces WHERE name = ?1 "
                       "UNION ALL SELECT 1, c.id, c.name, c.superclass, c.mof FROM classes c "
                       "JOIN namespaces n ON c.namespace = n.id WHERE n.name = ?1 "
                       "UNION ALL SELECT 2, i.id, i.path, '', i.mof FROM instances i "
                       "JOIN namespaces n ON i.namespace = n.id WHERE n.name = ?1 "
                       "ORDER BY 1, 2");
  }

  // Runs `write` as one IMMEDIATE transaction (the write lock is taken at BEGIN, so a concurrent
  // writer waits in busy_timeout instead of failing at COMMIT); rolls back when it throws.
  template <typename Write>
  void transaction(const char* what, Write&& write) {
    Use(where, db.get(), begin.get(), what).run();
    try {
      write();
      Use(where, db.get(), commit.get(), what).run();
    } catch (...) {
      if (!sqlite3_get_autocommit(db.get())) {
        sqlite3_step(rollback.get());
        sqlite3_reset(rollback.get());
      }
      throw;
    }
  }

  // Throws WBEM_E_INVALID_NAMESPACE when the last INSERT ... SELECT found no namespace `ns`.
  void requireInserted(const std::string& ns) const {
    if (sqlite3_changes(db.get()) == 0)
      throw Error(WBEM_E_INVALID_NAMESPACE, where + ": namespace " + ns + " is not stored");
  }
};

namespace {

// The text `object` is stored as: one that the MOF compiler reads back to an equal object, with
// the qualifier declarations it needs ahead of it; or WBEM_E_INVALID_PARAMETER, naming the object
// and what in it MOF cannot express, so that nothing is stored that would not load.
std::string storedText(const std::string& where, const ClassObject& object) {
  try {
    return object.getObjectText(WBEM_FLAG_EXACT_TEXT);
  } catch (const Error& e) {
    throw Error(e.status(), where + ": cannot store " + (object.isClass() ? "class " : "an instance of ") +
                                object.className() + ": " + e.message());
  }
}

// The relative path an instance is stored under.
std::string storedPath(const std::string& where, const ClassObject& instance) {
  if (!instance.isInstance())
    throw Error(WBEM_E_INVALID_PARAMETER, where + ": an instance is needed; " + instance.className() + " is a class");
  const std::optional<ObjectPath> path = instance.path();
  if (!path)
    throw Error(WBEM_E_ILLEGAL_NULL,
                where + ": an instance of " + instance.className() + " without all its keys has no path to store");
  return path->relativePath();
}

}  // namespace

Repository::Repository(std::filesystem::path path, RepositoryOptions options)
    : path_(std::move(path)), state_(std::make_unique<State>()) {
  State& s = *state_;
  s.where = "repository " + path_.string();
  s.db = open(s.where, path_.string(), SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  sqlite3* db = s.db.get();
  // Checked before anything is written, so that a refused file is left as it was.
  int version = checkFormat(s.where, db, true);
  {
    Statement wal = prepare(s.where, db, "PRAGMA journal_mode = WAL");
    Use use(s.where, db, wal.get(), "cannot switch to WAL mode");
    const std::string mode = use.step() ? use.text(0) : std::string();
    if (!iequals(mode, "wal"))
      throw Error(WBEM_E_FAILED, s.where + ": cannot switch to WAL mode (journal mode stays " + mode + ")");
  }
  exec(s.where, db, options.durableAgainstPowerLoss ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL",
       "cannot set the synchronous mode");
  exec(s.where, db, "PRAGMA foreign_keys = ON", "cannot enable foreign keys");
  if (version < kSchemaVersion) {
    // Checked again under the write lock: another process may have created the schema meanwhile.
    exec(s.where, db, "BEGIN IMMEDIATE", "cannot create the schema");
    try {
      version = checkFormat(s.where, db, true);
      if (version < kSchemaVersion) migrate(s.where, db, version);
      exec(s.where, db, "COMMIT", "cannot create the schema");
    } catch (...) {
      sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
      throw;
    }
  }
  s.prepareAll();
}

Repository::~Repository() = default;

void Repository::putNamespace(std::string_view name) {
  const std::string ns = normalizeNamespace(name);
  if (ns.empty()) throw Error(WBEM_E_INVALID_NAMESPACE, state_->where + ": a namespace needs a name");
  std::lock_guard lock(mutex_);
  Use(state_->where, state_->db.get(), state_->putNamespace.get(), "cannot store a namespace").bind(1, ns).run();
}

void Repository::putNamespaceSecurity(std::string_view name, const std::optional<std::string>& sddl) {
  const std::string ns = normalizeNamespace(name);
  std::lock_guard lock(mutex_);
  Use use(state_->where, state_->db.get(), state_->putSecurity.get(), "cannot store a namespace's security");
  use.bind(1, ns);
  if (sddl) use.bind(2, *sddl);  // unbound: NULL
  use.run();
  if (sqlite3_changes(state_->db.get()) == 0)
    throw Error(WBEM_E_INVALID_NAMESPACE, state_->where + ": namespace " + ns + " is not stored");
}

std::optional<std::string> Repository::namespaceSecurity(std::string_view name) const {
  const std::string ns = normalizeNamespace(name);
  std::lock_guard lock(mutex_);
  Use use(state_->where, state_->db.get(), state_->security.get(), "cannot read a namespace's security");
  use.bind(1, ns);
  if (!use.step() || use.isNull(0)) return std::nullopt;
  return use.text(0);
}

void Repository::deleteNamespace(std::string_view name) {
  const std::string ns = normalizeNamespace(name);
  std::lock_guard lock(mutex_);
  Use(state_->where, state_->db.get(), state_->deleteNamespace.get(), "cannot delete a namespace").bind(1, ns).run();
}

void Repository::putClass(std::string_view ns, const ClassObject& cls) {
  if (!cls.isClass())
    throw Error(WBEM_E_INVALID_PARAMETER,
                state_->where + ": a class is needed; " + cls.className() + " is an instance");
  if (cls.className().starts_with("__")) return;  // system classes are built into every namespace
  const std::string name = normalizeNamespace(ns);
  const std::string text = storedText(state_->where, cls);
  std::lock_guard lock(mutex_);
  Use(state_->where, state_->db.get(), state_->putClass.get(), "cannot store a class")
      .bind(1, name)
      .bind(2, cls.className())
      .bind(3, cls.superclassName())
      .bind(4, text)
      .run();
  state_->requireInserted(name);
}

void Repository::deleteClass(std::string_view ns, std::string_view className) {
  const std::string name = normalizeNamespace(ns);
  std::lock_guard lock(mutex_);
  state_->transaction("cannot delete a class", [&] {
    for (sqlite3_stmt* statement : {state_->deleteClassInstances.get(), state_->deleteClasses.get()})
      Use(state_->where, state_->db.get(), statement, "cannot delete a class").bind(1, name).bind(2, className).run();
  });
}

void Repository::putInstance(std::string_view ns, const ClassObject& instance) {
  const std::string relative = storedPath(state_->where, instance);
  const std::string name = normalizeNamespace(ns);
  const std::string text = storedText(state_->where, instance);
  std::lock_guard lock(mutex_);
  Use(state_->where, state_->db.get(), state_->putInstance.get(), "cannot store an instance")
      .bind(1, name)
      .bind(2, instance.className())
      .bind(3, relative)
      .bind(4, text)
      .run();
  state_->requireInserted(name);
}

void Repository::deleteInstance(std::string_view ns, const ClassObject& instance) {
  if (instance.isInstance() && !instance.path()) return;  // without a path it cannot have been stored
  const std::string relative = storedPath(state_->where, instance);
  const std::string name = normalizeNamespace(ns);
  std::lock_guard lock(mutex_);
  Use(state_->where, state_->db.get(), state_->deleteInstance.get(), "cannot delete an instance")
      .bind(1, name)
      .bind(2, relative)
      .run();
}

std::vector<std::string> Repository::namespaces() const {
  std::lock_guard lock(mutex_);
  Use use(state_->where, state_->db.get(), state_->namespaces.get(), "cannot list namespaces");
  std::vector<std::string> out;
  while (use.step()) out.push_back(use.text(0));
  return out;
}

void Repository::load(std::string_view ns, Namespace& target) const {
  const std::string name = normalizeNamespace(ns);
  bool stored = false;
  std::vector<std::string> classNames, superclasses, classTexts, instancePaths, instanceTexts;
  {
    std::lock_guard lock(mutex_);
    Use use(state_->where, state_->db.get(), state_->contents.get(), "cannot read a namespace");
    use.bind(1, name);
    while (use.step()) {
      switch (use.integer(0)) {
        case 0:
          stored = true;
          break;
        case 1:
          classNames.push_back(use.text(2));
          superclasses.push_back(use.text(3));
          classTexts.push_back(use.text(4));
          break;
        default:
          instancePaths.push_back(use.text(2));
          instanceTexts.push_back(use.text(4));
          break;
      }
    }
  }
  if (!stored) throw Error(WBEM_E_INVALID_NAMESPACE, state_->where + ": namespace " + name + " is not stored");

  // The whole namespace is one MOF unit: one compile, one staging copy of the target. Each
  // object's first line is kept to name the object a diagnostic is about.
  std::string text;
  std::vector<std::pair<std::uint32_t, std::string>> objects;
  std::uint32_t line = 1;
  const auto append = [&](std::string what, const std::string& mof) {
    objects.emplace_back(line, std::move(what));
    text += mof;
    line += static_cast<std::uint32_t>(std::count(mof.begin(), mof.end(), '\n'));
    if (!mof.ends_with('\n')) {  // each object starts a line of its own
      text += '\n';
      ++line;
    }
  };
  for (std::size_t i : superclassFirst(classNames, superclasses)) append("class " + classNames[i], classTexts[i]);
  for (std::size_t i = 0; i < instancePaths.size(); ++i) append("instance " + instancePaths[i], instanceTexts[i]);

  MofOptions options;
  options.defaultNamespace = target.name();
  options.allowIncludes = false;  // stored text is data
  options.maxErrors = 1;
  // Each stored text declares the qualifiers it needs typed; none may type another object's.
  options.qualifierDeclarationsPerObject = true;
  const MofResult result =
      MofCompiler([&target](const std::string&) { return &target; }, options).compileText(text, path_.string());
  if (result.ok()) return;
  const MofDiagnostic& first = result.diagnostics.front();
  const auto after = std::upper_bound(objects.begin(), objects.end(), first.position.line,
                                      [](std::uint32_t l, const auto& object) { return l < object.first; });
  const std::string what = after == objects.begin() ? std::string("an object") : std::prev(after)->second;
  throw Error(first.status,
              state_->where + ": namespace " + name + ": stored " + what + " no longer loads: " + first.message);
}

RepositoryCounts Repository::counts() const {
  std::lock_guard lock(mutex_);
  Use use(state_->where, state_->db.get(), state_->counts.get(), "cannot count objects");
  use.step();
  return RepositoryCounts{static_cast<std::size_t>(use.integer(0)), static_cast<std::size_t>(use.integer(1)),
                          static_cast<std::size_t>(use.integer(2))};
}

namespace {

// True when `a` and `b` name the same existing file.
bool sameFile(const std::filesystem::path& a, const std::filesystem::path& b) {
  std::error_code ec;
  return std::filesystem::equivalent(a, b, ec) && !ec;
}

}  // namespace

void Repository::backup(const std::filesystem::path& file) const {
  // A reader of its own: in WAL mode it sees one committed state for the whole copy while the
  // main connection goes on writing. Written beside `file` and renamed, so `file` is never partial.
  const std::string where = state_->where + ": backup to " + file.string();
  if (sameFile(file, path_)) throw Error(WBEM_E_INVALID_PARAMETER, where + ": that is the repository itself");
  std::filesystem::path partial = file;
  partial += ".partial";
  std::filesystem::path journal = partial;
  journal += "-journal";
  std::error_code ignored;
  // Left over by a backup that crashed: a stale journal would be rolled back into the new copy.
  std::filesystem::remove(partial, ignored);
  std::filesystem::remove(journal, ignored);
  try {
    Connection source = open(where, path_.string(), SQLITE_OPEN_READONLY);
    {
      Connection copy = open(where, partial.string(), SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
      copyDatabase(where, copy.get(), source.get(), "cannot copy");
    }
    std::error_code ec;
    std::filesystem::rename(partial, file, ec);
    if (ec) throw Error(WBEM_E_FAILED, where + ": cannot rename " + partial.string() + ": " + ec.message());
  } catch (...) {
    std::filesystem::remove(partial, ignored);
    throw;
  }
}

void Repository::restore(const std::filesystem::path& file) {
  // The backup is checked and migrated in memory first; then one transaction of the main
  // connection (sqlite3_backup's) replaces the contents, so an error at any point leaves them as
  // they were.
  const std::string where = state_->where + ": restore from " + file.string();
  if (sameFile(file, path_)) throw Error(WBEM_E_INVALID_PARAMETER, where + ": that is the repository itself");
  Connection staged = open(where, ":memory:", SQLITE_OPEN_READWRITE);
  {
    Connection source = open(where, file.string(), SQLITE_OPEN_READONLY);
    const int version = checkFormat(where, source.get(), false);
    copyDatabase(where, staged.get(), source.get(), "cannot read the backup");
    if (version < kSchemaVersion) {
      exec(where, staged.get(), "BEGIN", "cannot migrate the backup");
      migrate(where, staged.get(), version);
      exec(where, staged.get(), "COMMIT", "cannot migrate the backup");
    }
  }
  {
    Statement check = prepare(where, staged.get(), "PRAGMA quick_check");
    Use use(where, staged.get(), check.get(), "cannot check the backup");
    const std::string verdict = use.step() ? use.text(0) : std::string();
    if (verdict != "ok") throw Error(WBEM_E_FAILED, where + ": the backup is damaged: " + verdict);
  }
  std::lock_guard lock(mutex_);
  copyDatabase(where, state_->db.get(), staged.get(), "cannot replace the contents");
}

}  // namespace wbem
