// decoupled-provider: a decoupled event provider process. It registers with wbemd as
// "FileChangeProvider" and raises Linux_FileChangeEvent (file_change.mof) for the files created,
// deleted, modified or moved in the directories the live filters name. Its inotify watches follow
// the filters: newQuery parses each filter's WQL for the directory it names and watches it (one
// watch per directory however many filters name it); cancelQuery drops the watch with the last
// filter that needed it. So the provider costs nothing while nobody subscribes.
//
// usage: decoupled-provider [--socket PATH] [--namespace NS]   (default root/cimv2)
// Runs until SIGINT or SIGTERM, then unregisters and exits 0. Prints what it does on stdout
// ("registered ...", "filter N: watching DIR", ...) and problems on stderr.

#include <wbem/client.hpp>
#include <wbem/decoupled_provider.hpp>
#include <wbem/names.hpp>
#include <wbem/wql.hpp>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <poll.h>
#include <set>
#include <signal.h>
#include <string>
#include <string_view>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <system_error>
#include <thread>
#include <unistd.h>
#include <vector>

namespace {

constexpr std::string_view kProviderName = "FileChangeProvider";
constexpr std::string_view kEventClass = "Linux_FileChangeEvent";

std::mutex outputMutex;

// One whole line per call, flushed at once: run-check.sh reads the output through a file.
void say(std::ostream& out, const std::string& line) {
  std::lock_guard lock(outputMutex);
  out << line << std::endl;
}

// ---- Which directories a filter names -------------------------------------------------------

// An absolute directory in one spelling ("/tmp/w/" and "/tmp/./w" are "/tmp/w"); empty when
// `text` is not absolute (the daemon's filters cannot mean this process's working directory).
std::string normalDirectory(std::string_view text) {
  const std::filesystem::path path(text);
  if (!path.is_absolute()) return {};
  std::string normal = path.lexically_normal().string();
  while (normal.size() > 1 && normal.back() == '/') normal.pop_back();
  return normal;
}

// The text a LIKE pattern matches when it has no wildcard, with the single-character sets WQL
// uses as escapes ("[%]", "[_]", "[[]") undone; nullopt when it has a wildcard.
std::optional<std::string> likeLiteral(std::string_view pattern) {
  std::string text;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    const char c = pattern[i];
    if (c == '%' || c == '_') return std::nullopt;
    if (c == '[') {
      if (i + 2 >= pattern.size() || pattern[i + 2] != ']' || pattern[i + 1] == '^') return std::nullopt;
      text += pattern[i + 1];
      i += 2;
      continue;
    }
    text += c;
  }
  return text;
}

using DirectorySet = std::set<std::string>;

// The directories one comparison confines events to: `Directory = 'D'`, `Path = 'D/file'` or
// `Path LIKE 'D/...'` with a literal D. nullopt when it confines them to none.
std::optional<DirectorySet> comparisonDirectories(const wbem::WqlComparison& comparison) {
  if (comparison.path.names.size() != 1 || comparison.literal.isNull() ||
      comparison.literal.type() != wbem::CimType::String || comparison.literal.isArray())
    return std::nullopt;
  const std::string& property = comparison.path.names.front();
  const std::string& literal = comparison.literal.asString();
  std::string directory;
  if (wbem::iequals(property, "Directory")) {
    if (comparison.op == wbem::WqlOp::Equal) {
      directory = normalDirectory(literal);
    } else if (comparison.op == wbem::WqlOp::Like) {
      if (const auto text = likeLiteral(literal)) directory = normalDirectory(*text);
    }
  } else if (wbem::iequals(property, "Path")) {
    if (comparison.op == wbem::WqlOp::Equal) {
      directory = normalDirectory(std::filesystem::path(literal).parent_path().string());
    } else if (comparison.op == wbem::WqlOp::Like) {
      // The directory part must be literal; the file part may be any pattern. A `%` there also
      // matches deeper paths, which a (non-recursive) inotify watch does not see.
      const std::size_t slash = literal.rfind('/');
      if (slash != std::string::npos) {
        if (const auto text = likeLiteral(std::string_view(literal).substr(0, slash)))
          directory = normalDirectory(text->empty() ? "/" : *text);
      }
    }
  }
  if (directory.empty()) return std::nullopt;
  return DirectorySet{directory};
}

// The directories a WHERE condition confines events to, nullopt when it does not confine them:
// one confined operand confines an AND; an OR is confined when each of its operands is.
std::optional<DirectorySet> conditionDirectories(const wbem::WqlCondition& condition) {
  switch (condition.kind) {
    case wbem::WqlCondition::Kind::Compare:
      return comparisonDirectories(condition.comparison);
    case wbem::WqlCondition::Kind::And:
      for (const wbem::WqlCondition& operand : condition.operands)
        if (auto directories = conditionDirectories(operand)) return directories;
      return std::nullopt;
    case wbem::WqlCondition::Kind::Or: {
      DirectorySet all;
      for (const wbem::WqlCondition& operand : condition.operands) {
        auto directories = conditionDirectories(operand);
        if (!directories) return std::nullopt;
        all.merge(*directories);
      }
      return all;
    }
    case wbem::WqlCondition::Kind::Not:
      return std::nullopt;  // "not in D" is everywhere else
  }
  return std::nullopt;
}

// ---- The inotify watcher --------------------------------------------------------------------

// One change inotify reported.
struct FileChange {
  std::string directory;
  std::string name;
  std::string action;  // created, deleted, modified, moved_from, moved_to
  bool isDirectory = false;
};

// inotify with reference-counted watches and one reader thread, which hands each change to the
// handler. The thread polls the inotify fd and an eventfd that stop() signals.
class InotifyWatcher {
 public:
  using Handler = std::function<void(const FileChange&)>;

  explicit InotifyWatcher(Handler handler) : handler_(std::move(handler)) {
    inotifyFd_ = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (inotifyFd_ < 0) throw std::system_error(errno, std::generic_category(), "inotify_init1");
    stopFd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (stopFd_ < 0) {
      const int error = errno;
      ::close(inotifyFd_);
      throw std::system_error(error, std::generic_category(), "eventfd");
    }
    reader_ = std::thread([this] { run(); });
  }
  InotifyWatcher(const InotifyWatcher&) = delete;
  InotifyWatcher& operator=(const InotifyWatcher&) = delete;
  ~InotifyWatcher() {
    stop();
    ::close(stopFd_);
    ::close(inotifyFd_);
  }

  /// Ends the reader thread; no handler call follows. Idempotent; not from the handler.
  void stop() {
    std::lock_guard lock(stopMutex_);
    if (!reader_.joinable()) return;
    const std::uint64_t one = 1;
    [[maybe_unused]] const auto written = ::write(stopFd_, &one, sizeof(one));
    reader_.join();
  }

  /// Takes a reference to the watch on `directory` and returns its descriptor: inotify gives a
  /// directory (also under another name) one descriptor. Throws std::system_error.
  int addWatch(const std::string& directory) {
    std::lock_guard lock(mutex_);
    const int wd = ::inotify_add_watch(inotifyFd_, directory.c_str(), kMask);
    if (wd < 0) throw std::system_error(errno, std::generic_category(), "cannot watch " + directory);
    Watch& watch = watches_[wd];
    if (watch.references++ == 0) watch.directory = directory;
    return wd;
  }

  /// Drops a reference taken by addWatch; the last one removes the watch. Returns the directory
  /// when it was the last, empty otherwise (or when the watch ended already: directory deleted).
  std::string removeWatch(int wd) {
    std::lock_guard lock(mutex_);
    const auto it = watches_.find(wd);
    if (it == watches_.end() || --it->second.references > 0) return {};
    std::string directory = std::move(it->second.directory);
    watches_.erase(it);
    ::inotify_rm_watch(inotifyFd_, wd);
    return directory;
  }

 private:
  // IN_ONLYDIR: a filter naming a file is told so rather than watching it. IN_MODIFY rather than
  // IN_CLOSE_WRITE so that `touch` (open, close) is one "created", not also a "modified".
  static constexpr std::uint32_t kMask =
      IN_CREATE | IN_DELETE | IN_MODIFY | IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR;

  struct Watch {
    std::string directory;
    unsigned references = 0;
  };

  void run() {
    pollfd fds[2] = {{inotifyFd_, POLLIN, 0}, {stopFd_, POLLIN, 0}};
    for (;;) {
      if (::poll(fds, 2, -1) < 0) {
        if (errno == EINTR) continue;
        say(std::cerr, std::string("decoupled-provider: poll failed: ") + std::strerror(errno));
        return;
      }
      if (fds[1].revents != 0) return;
      if (fds[0].revents != 0) {
        for (const FileChange& change : readChanges()) handler_(change);
      }
    }
  }

  // Reads everything inotify has queued; the handler runs after, without mutex_ held.
  std::vector<FileChange> readChanges() {
    std::vector<FileChange> changes;
    alignas(inotify_event) char buffer[64 * 1024];
    for (;;) {
      const ssize_t length = ::read(inotifyFd_, buffer, sizeof(buffer));
      if (length <= 0) break;  // EAGAIN: drained
      std::lock_guard lock(mutex_);
      for (ssize_t offset = 0; offset < length;) {
        const auto* event = reinterpret_cast<const inotify_event*>(buffer + offset);
        offset += static_cast<ssize_t>(sizeof(inotify_event) + event->len);
        if (event->mask & IN_Q_OVERFLOW) {
          say(std::cerr, "decoupled-provider: the inotify queue overflowed: changes were lost");
          continue;
        }
        const auto it = watches_.find(event->wd);
        if (it == watches_.end()) continue;  // removed meanwhile
        if (event->mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED)) {
          // The directory went (its watch ends with it) or moved (its events would carry a path
          // that is no longer true): it is not watched any more.
          say(std::cerr, "decoupled-provider: " + it->second.directory + " was deleted or moved: not watched any more");
          if (!(event->mask & IN_IGNORED)) ::inotify_rm_watch(inotifyFd_, event->wd);
          watches_.erase(it);
          continue;
        }
        const char* action = nullptr;
        if (event->mask & IN_CREATE)
          action = "created";
        else if (event->mask & IN_DELETE)
          action = "deleted";
        else if (event->mask & IN_MODIFY)
          action = "modified";
        else if (event->mask & IN_MOVED_FROM)
          action = "moved_from";
        else if (event->mask & IN_MOVED_TO)
          action = "moved_to";
        if (!action || event->len == 0) continue;
        changes.push_back({it->second.directory, event->name, action, (event->mask & IN_ISDIR) != 0});
      }
    }
    return changes;
  }

  Handler handler_;
  int inotifyFd_ = -1;
  int stopFd_ = -1;
  std::mutex mutex_;  // watches_ and the inotify watch calls
  std::map<int, Watch> watches_;
  std::mutex stopMutex_;  // reader_ against two stop() calls
  std::thread reader_;
};

// ---- The provider object ----------------------------------------------------------------------

// The provider the daemon calls (EventProvider, EventProviderQuerySink: found by dynamic_cast).
// Callbacks come one at a time on the library's delivery thread; changes come on the watcher's
// thread.
class FileChangeProvider final : public wbem::EventProvider, public wbem::EventProviderQuerySink {
 public:
  explicit FileChangeProvider(wbem::ObjectPtr eventClass)
      : eventClass_(std::move(eventClass)), watcher_([this](const FileChange& change) { raise(change); }) {}

  /// Stops the watcher: no event is raised after. Not from a callback.
  void stop() { watcher_.stop(); }

  wbem::Status provideEvents(std::shared_ptr<wbem::EventSink> sink, std::int32_t) override {
    std::lock_guard lock(mutex_);
    sink_ = std::move(sink);
    return wbem::WBEM_S_NO_ERROR;
  }

  wbem::Status newQuery(std::uint32_t id, std::string_view language, std::string_view query) override {
    bool ours = false;
    std::optional<DirectorySet> directories;
    try {
      wbem::requireWqlLanguage(language);
      const wbem::WqlQuery parsed = wbem::parseWql(query);
      ours = wbem::iequals(parsed.className, kEventClass);
      if (ours && parsed.where) directories = conditionDirectories(*parsed.where);
    } catch (const wbem::Error& e) {
      say(std::cerr, "decoupled-provider: filter " + std::to_string(id) + ": " + e.what());
      return e.status();
    }
    const std::string filter = "filter " + std::to_string(id);
    std::lock_guard lock(mutex_);
    // newQuery may come again for one id: the latest query counts. The new watches are taken
    // before the old ones go, so that a directory both name is never unwatched in between.
    std::vector<int> watches;
    wbem::Status status = wbem::WBEM_S_NO_ERROR;
    if (ours && !directories)
      say(std::cerr,
          "decoupled-provider: " + filter + " names no directory: it watches nothing (" + std::string(query) + ")");
    for (const std::string& directory : directories.value_or(DirectorySet{})) {
      try {
        watches.push_back(watcher_.addWatch(directory));
        say(std::cout, filter + ": watching " + directory);
      } catch (const std::system_error& e) {
        say(std::cerr, "decoupled-provider: " + filter + ": " + e.what());
        status = e.code() == std::errc::no_such_file_or_directory ? wbem::WBEM_E_NOT_FOUND : wbem::WBEM_E_FAILED;
      }
    }
    forget(id);
    if (ours) filters_[id] = std::move(watches);
    return status;
  }

  wbem::Status cancelQuery(std::uint32_t id) override {
    std::lock_guard lock(mutex_);
    say(std::cout, "filter " + std::to_string(id) + ": cancelled");
    forget(id);
    return wbem::WBEM_S_NO_ERROR;
  }

 private:
  // Drops filter `id`'s watch references. With mutex_ held.
  void forget(std::uint32_t id) {
    const auto it = filters_.find(id);
    if (it == filters_.end()) return;
    for (const int wd : it->second)
      if (const std::string directory = watcher_.removeWatch(wd); !directory.empty())
        say(std::cout, "stopped watching " + directory);
    filters_.erase(it);
  }

  void raise(const FileChange& change) {
    std::shared_ptr<wbem::EventSink> sink;
    {
      std::lock_guard lock(mutex_);
      sink = sink_;
    }
    if (!sink) return;  // not activated: no filter wants events yet
    wbem::ClassObject event = eventClass_->spawnInstance();
    const std::string path = (change.directory == "/" ? "" : change.directory) + "/" + change.name;
    event.put("Path", wbem::Value(path));
    event.put("Directory", wbem::Value(change.directory));
    event.put("Action", wbem::Value(change.action));
    event.put("IsDirectory", wbem::Value(change.isDirectory));
    // A full queue towards the daemon empties within milliseconds; wait a little rather than lose
    // the change, but never hold the reader for long.
    wbem::Status status = sink->indicate(event);
    for (int retry = 0; status == wbem::WBEM_E_SERVER_TOO_BUSY && retry < 100; ++retry) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      status = sink->indicate(event);
    }
    if (wbem::isError(status))
      say(std::cerr, "decoupled-provider: " + change.action + " " + path + " not raised: " + wbem::statusName(status));
  }

  const wbem::ObjectPtr eventClass_;
  std::mutex mutex_;  // sink_, filters_
  std::shared_ptr<wbem::EventSink> sink_;
  std::map<std::uint32_t, std::vector<int>> filters_;  // filter id -> its watch descriptors
  InotifyWatcher watcher_;                             // last: its thread stops before the rest goes
};

struct Options {
  std::string socket;
  std::string namespaceName = "root/cimv2";
};

bool parseOptions(int argc, char** argv, Options& options) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (i + 1 >= argc) return false;
    if (arg == "--socket")
      options.socket = argv[++i];
    else if (arg == "--namespace")
      options.namespaceName = argv[++i];
    else
      return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  if (!parseOptions(argc, argv, options)) {
    std::cerr << "usage: decoupled-provider [--socket PATH] [--namespace NS]\n";
    return 64;
  }

  // Blocked before any thread starts, so that only sigwait below takes them.
  sigset_t stopSignals;
  sigemptyset(&stopSignals);
  sigaddset(&stopSignals, SIGTERM);
  sigaddset(&stopSignals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stopSignals, nullptr);

  try {
    // The event class first: the provider builds every event from it, from the first change on.
    wbem::ObjectPtr eventClass;
    {
      const auto connection = wbem::connect(
          {.socketPath = options.socket, .namespaceName = options.namespaceName, .software = "decoupled-provider"});
      eventClass = connection->getObject(kEventClass);
    }
    auto provider = std::make_shared<FileChangeProvider>(eventClass);
    wbem::DecoupledBasicEventProvider registrar({.socketPath = options.socket, .software = "decoupled-provider"});
    const wbem::Status status = registrar.registerProvider(0, "", "", options.namespaceName, kProviderName, provider);
    if (wbem::isError(status)) {
      std::cerr << "decoupled-provider: cannot register " << kProviderName << " in " << options.namespaceName << ": "
                << wbem::statusName(status) << '\n';
      return 1;
    }
    say(std::cout, "registered as " + std::string(kProviderName) + " in " + options.namespaceName);

    int signal = 0;
    sigwait(&stopSignals, &signal);
    say(std::cout, std::string(signal == SIGTERM ? "SIGTERM" : "SIGINT") + ": unregistering");
    if (const wbem::Status unregistered = registrar.unregister(); wbem::isError(unregistered))
      std::cerr << "decoupled-provider: unregister: " << wbem::statusName(unregistered) << '\n';
    provider->stop();
    return 0;
  } catch (const wbem::Error& e) {
    std::cerr << "decoupled-provider: " << e.what() << '\n';
    return 1;
  } catch (const std::system_error& e) {
    std::cerr << "decoupled-provider: " << e.what() << '\n';
    return 1;
  }
}
