// LogFileEventConsumer's physical consumer (spec 6.3, cases 62, 73, 74): one line per event,
// rotation by MaximumFileSize, UTF-8 or UTF-16LE files. The file is opened, created and rotated
// with its creator's rights (issue 9): a root service takes the creator's file system identity
// for those calls, so a user cannot have it write where the user may not. A symbolic link as the
// file is refused.

#include <wbem/classobject.hpp>
#include <wbem/consumer_provider.hpp>
#include <wbem/names.hpp>
#include <wbem/security.hpp>
#include <wbem/standard_consumers.hpp>
#include <wbem/status.hpp>
#include <wbem/string_template.hpp>

#include <algorithm>
#include <array>
#include <boost/locale/encoding_utf.hpp>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <fcntl.h>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <sys/fsuid.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <system_error>
#include <unistd.h>
#include <vector>

namespace wbem {
namespace {

constexpr std::string_view kClassName = "LogFileEventConsumer";
constexpr std::string_view kUtf16Bom = "\xFF\xFE";
constexpr std::uint64_t kDefaultMaximumFileSize = 65535;  // the class default, also for NULL
constexpr int kLastRotation = 999;
constexpr std::uint32_t kNobody = 65534;  // the overflow uid and gid

Status statusOfErrno(int error) noexcept {
  switch (error) {
    case EACCES:
    case EPERM:
    case EROFS:
    case ELOOP:  // O_NOFOLLOW: the file is a symbolic link
      return WBEM_E_ACCESS_DENIED;
    case ENOSPC:
    case EDQUOT:
      return WBEM_E_OUT_OF_DISK_SPACE;
    default:
      return WBEM_E_FAILED;
  }
}

// The path a full log file is renamed to: `log.txt` -> `log.001` for 8.3 names, `events.log` ->
// `events.log001` for others, numbered above every number in use (after 999, the smallest free).
// `listError` receives the error of listing the directory.
std::filesystem::path rotatedPath(const std::filesystem::path& file, std::error_code& listError) {
  const std::string name = file.filename().string();
  const std::size_t dot = name.find('.');
  const bool shortName = dot == std::string::npos ? !name.empty() && name.size() <= 8
                                                  : dot >= 1 && dot <= 8 && name.size() - dot - 1 <= 3 &&
                                                        name.find('.', dot + 1) == name.npos;
  const std::string prefix = shortName ? name.substr(0, dot) + "." : name;

  std::array<bool, kLastRotation + 1> used{};
  int highest = 0;
  const std::filesystem::path directory = file.has_parent_path() ? file.parent_path() : ".";
  for (std::filesystem::directory_iterator it(directory, listError), end; !listError && it != end;
       it.increment(listError)) {
    const std::string entry = it->path().filename().string();
    if (entry.size() != prefix.size() + 3 || !entry.starts_with(prefix)) continue;
    const std::string_view digits = std::string_view(entry).substr(prefix.size());
    if (!std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) continue;
    const int number = std::stoi(std::string(digits));
    used[number] = true;
    highest = std::max(highest, number);
  }
  if (listError) return {};
  int number = highest + 1;
  if (number > kLastRotation) {
    number = 1;
    while (number <= kLastRotation && used[number]) ++number;
  }
  if (number > kLastRotation) return {};
  std::string suffix = std::to_string(number);
  suffix.insert(0, 3 - suffix.size(), '0');
  return file.parent_path() / (prefix + suffix);
}

/// While it lives, the calling thread touches files as `who`: its file system uid and gid and its
/// groups. Linux keeps credentials per thread; setfsuid, setfsgid and the raw setgroups system
/// call change only the caller's (glibc's setgroups would change every thread's). Does nothing
/// unless the service runs as root and `who` is someone else. Safety: the thread that made it
/// destroys it.
class FileIdentity {
 public:
  explicit FileIdentity(const std::optional<Principal>& who) {
    if (!who || ::geteuid() != 0 || who->uid == 0) return;
    const std::vector<gid_t> groups(who->gids.begin(), who->gids.end());
    const gid_t primary = groups.empty() ? kNobody : groups.front();  // never root's group by default
    savedGroups_.resize(static_cast<std::size_t>(::getgroups(0, nullptr)));
    savedGroups_.resize(
        static_cast<std::size_t>(::getgroups(static_cast<int>(savedGroups_.size()), savedGroups_.data())));
    active_ = true;
    if (::syscall(SYS_setgroups, groups.size(), groups.data()) != 0 || !setFsGid(primary) || !setFsUid(who->uid)) {
      const int error = errno;
      restore();
      throw Error(WBEM_E_ACCESS_DENIED, "cannot act as " + who->sid() + " for its log file: " +
                                            std::generic_category().message(error ? error : EPERM));
    }
  }
  ~FileIdentity() { restore(); }
  FileIdentity(const FileIdentity&) = delete;
  FileIdentity& operator=(const FileIdentity&) = delete;

 private:
  // setfsuid reports no error; asking again tells whether the change took.
  static bool setFsUid(uid_t uid) {
    ::setfsuid(uid);
    return static_cast<uid_t>(::setfsuid(uid)) == uid;
  }
  static bool setFsGid(gid_t gid) {
    ::setfsgid(gid);
    return static_cast<gid_t>(::setfsgid(gid)) == gid;
  }
  void restore() noexcept {
    if (!active_) return;
    active_ = false;
    ::setfsuid(::geteuid());
    ::setfsgid(::getegid());
    ::syscall(SYS_setgroups, savedGroups_.size(), savedGroups_.data());
  }

  bool active_ = false;
  std::vector<gid_t> savedGroups_;
};

/// The physical consumer of one LogFileEventConsumer. The file is open from the first event of a
/// batch to the batch's flush(), so that a file moved or removed between batches is recreated.
class LogFileConsumerSink final : public ConsumerSink<> {
 public:
  /// Reads the consumer's settings; WBEM_E_NOT_FOUND for another class, WBEM_E_INVALID_PARAMETER
  /// without a Filename. Thread-safe (reads only `logicalConsumer`).
  explicit LogFileConsumerSink(const ClassObject& logicalConsumer) {
    if (!iequals(logicalConsumer.className(), kClassName) && !logicalConsumer.inheritsFrom(kClassName))
      throw Error(WBEM_E_NOT_FOUND, std::string(kClassName) + " cannot serve a " + logicalConsumer.className());
    const Value name = logicalConsumer.get("Name");
    name_ = name.isNull() ? std::string() : name.asString();
    const Value filename = logicalConsumer.get("Filename");
    if (filename.isNull() || filename.asString().empty())
      throw Error(WBEM_E_INVALID_PARAMETER, std::string(kClassName) + " " + name_ + ": Filename is not set");
    filename_ = filename.asString();
    const Value text = logicalConsumer.get("Text");
    if (!text.isNull()) text_ = text.asString();
    const Value maximumSize = logicalConsumer.get("MaximumFileSize");
    maximumSize_ = maximumSize.isNull() ? kDefaultMaximumFileSize : maximumSize.asUInt64();
    const Value unicode = logicalConsumer.get("IsUnicode");
    unicode_ = !unicode.isNull() && unicode.asBool();
    const Value creator = logicalConsumer.get("CreatorSID");
    if (!creator.isNull()) {
      creator_ = Principal::fromSid(creator.asString());
      // A creator the service cannot name gets nobody's rights rather than the service's.
      if (!creator_) creator_ = Principal{.uid = kNobody, .gids = {kNobody}, .admin = false};
    }
  }

  ~LogFileConsumerSink() override { closeFile(); }

 protected:
  void consume(const ClassObject&, const ClassObject& event) override {
    try {
      if (fd_ < 0) {
        const FileIdentity creator(creator_);
        openFile();
      }
      if (maximumSize_ != 0 && size_ >= maximumSize_) {
        const FileIdentity creator(creator_);
        rotate();
      }
      appendLine(formatTemplate(text_, event) + "\n");
    } catch (...) {
      closeFile();  // the batch fails and is delivered again: drop its unwritten lines
      throw;
    }
  }

  void flush() override {
    if (fd_ < 0) return;
    try {
      writePending();
    } catch (...) {
      closeFile();
      throw;
    }
    closeFile();
  }

 private:
  [[noreturn]] void fail(std::string_view what, const std::filesystem::path& path, int error) const {
    throw Error(statusOfErrno(error), std::string(kClassName) + " " + name_ + ": " + std::string(what) + " " +
                                          path.string() + ": " + std::generic_category().message(error));
  }

  // Opens (or creates) the file and learns its size and encoding; a new file gets its BOM here.
  void openFile() {
    fd_ = ::open(filename_.c_str(), O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd_ < 0) fail("cannot open", filename_, errno);
    struct stat status {};
    if (::fstat(fd_, &status) != 0) fail("cannot read the size of", filename_, errno);
    size_ = static_cast<std::uint64_t>(status.st_size);
    if (size_ == 0) {
      fileUnicode_ = unicode_;
      if (fileUnicode_) {
        pending_ += kUtf16Bom;
        size_ += kUtf16Bom.size();
      }
      return;
    }
    std::array<char, 2> head{};
    fileUnicode_ = ::pread(fd_, head.data(), head.size(), 0) == static_cast<ssize_t>(head.size()) &&
                   std::string_view(head.data(), head.size()) == kUtf16Bom;
  }

  // Moves the full file aside (after writing what this batch has for it) and starts a new one.
  void rotate() {
    writePending();
    std::error_code listError;
    const std::filesystem::path target = rotatedPath(filename_, listError);
    if (listError) fail("cannot list the directory of", filename_, listError.value());
    if (target.empty())
      throw Error(WBEM_E_FAILED, std::string(kClassName) + " " + name_ + ": cannot rotate " + filename_.string() +
                                     ": the names ending in 001 to 999 are all in use");
    closeFile();
    if (std::rename(filename_.c_str(), target.c_str()) != 0)
      fail("cannot rename to " + target.string(), filename_, errno);
    openFile();
  }

  void appendLine(const std::string& line) {
    if (!fileUnicode_) {
      pending_ += line;
      size_ += line.size();
      return;
    }
    const std::u16string units = boost::locale::conv::utf_to_utf<char16_t>(line);
    for (const char16_t unit : units) {
      pending_ += static_cast<char>(unit & 0xFF);
      pending_ += static_cast<char>(unit >> 8);
    }
    size_ += 2 * units.size();
  }

  void writePending() {
    std::size_t written = 0;
    while (written < pending_.size()) {
      const ssize_t n = ::write(fd_, pending_.data() + written, pending_.size() - written);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) fail("cannot write", filename_, errno);
      written += static_cast<std::size_t>(n);
    }
    pending_.clear();
  }

  void closeFile() noexcept {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    pending_.clear();
  }

  std::string name_;
  std::optional<Principal> creator_;  // CreatorSID: whose rights the file is touched with
  std::filesystem::path filename_;
  std::string text_;
  std::uint64_t maximumSize_ = kDefaultMaximumFileSize;
  bool unicode_ = false;      // IsUnicode: the encoding of a new file
  int fd_ = -1;               // the file, open during a batch
  bool fileUnicode_ = false;  // the encoding of the open file
  std::uint64_t size_ = 0;    // the open file's size, pending bytes included
  std::string pending_;       // bytes of this batch not yet written
};

}  // namespace

LogFileConsumerProvider::LogFileConsumerProvider()
    : sinks_(std::make_unique<SimpleConsumerProvider<LogFileConsumerSink>>()) {}

LogFileConsumerProvider::~LogFileConsumerProvider() = default;

std::shared_ptr<UnboundObjectSink> LogFileConsumerProvider::findConsumer(const ClassObject& logicalConsumer) {
  return sinks_->findConsumer(logicalConsumer);
}

}  // namespace wbem
