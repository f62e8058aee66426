#pragma once
// The standard consumers of root\subscription (spec 6.3), built on the consumer provider SDK:
//
//   LogFileEventConsumer      LogFileConsumerProvider      appends one line per event to a file
//   CommandLineEventConsumer  CommandLineConsumerProvider  starts a process per event
//
// standardConsumerClassesMof() declares both classes; whoever sets up root\subscription compiles
// it there and registers the providers for the classes (__EventConsumerProviderRegistration).
// Both format their [Template] properties with wbem/string_template.hpp.
//
// LogFileEventConsumer: each event appends formatTemplate(Text) and "\n" to Filename, which is
// created when missing (mode 0644 before the umask; WMI does not secure the file either). A
// missing directory or a file that cannot be written fails the event with wbem::Error
// (WBEM_E_ACCESS_DENIED for a permission problem, WBEM_E_OUT_OF_DISK_SPACE for a full disk,
// WBEM_E_FAILED otherwise; the message names the file and the system error). MaximumFileSize
// (bytes, 0 = unlimited) is checked before each line, so a file may end a little above it: a file
// that has reached it is first renamed. An 8.3 name (base of 1 to 8 characters, at most one dot,
// extension of at most 3) gets its extension replaced by a number (`log.txt` -> `log.001`), any
// other name gets it appended (`events.log` -> `events.log001`); the number is the smallest above
// all those in use, or after 999 the smallest unused one (all 999 in use fails the event). A new
// file is UTF-16LE with a byte order mark when IsUnicode is TRUE, else UTF-8; an existing file
// keeps its encoding (a UTF-16LE byte order mark at its start says which). Each batch of events
// is written with one write at its end. Writing as the creator is not done yet: the file is
// written with the service's rights.
//
// CommandLineEventConsumer: each event starts a process without a shell. CommandLineTemplate is
// split into arguments first (parseTemplateArguments: quoted parts stay literal, as in every
// template) and then each argument is expanded for the event, so an event's values never add
// arguments nor reach a shell; an argument that would hold a NUL character fails the event with
// WBEM_E_INVALID_PARAMETER. With ExecutablePath set it is the program and the template's
// arguments are its argv (argv[0] included); with it NULL the first argument is the program,
// searched in PATH; with CommandLineTemplate NULL the program is ExecutablePath with no
// arguments. The process starts in WorkingDirectory when set, with the service's environment,
// stdin from /dev/null, stdout and stderr into a pipe, default signal handling and an empty
// signal mask; CreateNewProcessGroup (default TRUE) puts it in a process group of its own. The
// creator must be an administrator (CreatorSID "uid:N" naming root or a member of the admin
// group, checked at each event), else the event fails with WBEM_E_ACCESS_DENIED (spec 6.2). A
// program that cannot be started fails the event with wbem::Error (WBEM_E_NOT_FOUND when it, or
// WorkingDirectory, does not exist, WBEM_E_ACCESS_DENIED when it may not be run, WBEM_E_FAILED
// otherwise). The process runs as the service (running as the creator is not done yet);
// Priority, RunInteractively and the window and console properties are accepted and ignored.
// The call does not wait for the process: one thread per provider reads every process's output
// and logs each line with spdlog's default logger (`CommandLineEventConsumer <Name>: <line>`),
// reaps the processes, logs how each ended, and after KillTimeout seconds (0 = never) kills a
// process with SIGKILL (its whole group when it has one of its own). At most `maxProcesses`
// processes of one provider run at once; an event beyond that fails with WBEM_E_QUOTA_VIOLATION.

#include <wbem/classobject.hpp>
#include <wbem/consumer_provider.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <string_view>

namespace wbem {

/// MOF text declaring LogFileEventConsumer and CommandLineEventConsumer, both derived from
/// __EventConsumer with the properties, defaults and qualifiers WMI gives them (no #pragma
/// namespace: compile it into the namespace of your choice, normally root\subscription).
/// Thread-safe.
std::string_view standardConsumerClassesMof() noexcept;

/// The consumer provider of LogFileEventConsumer: one sink per logical consumer (a changed
/// consumer gets a new one). findConsumer throws WBEM_E_INVALID_PARAMETER for a consumer without
/// a Filename. Safety: thread-safe.
class LogFileConsumerProvider final : public EventConsumerProvider {
 public:
  /// A provider with no sink yet. Thread-safe.
  LogFileConsumerProvider();
  /// Destroys the provider; sinks it handed out keep working. Not thread-safe.
  ~LogFileConsumerProvider() override;

  /// The sink of `logicalConsumer` (see the file comment for what it does). Thread-safe.
  std::shared_ptr<UnboundObjectSink> findConsumer(const ClassObject& logicalConsumer) override;

 private:
  std::unique_ptr<EventConsumerProvider> sinks_;
};

/// Limits of a CommandLineConsumerProvider.
struct CommandLineConsumerOptions {
  /// Processes of the provider that may run at once; an event beyond them fails with
  /// WBEM_E_QUOTA_VIOLATION.
  std::size_t maxProcesses = 64;
  /// How long the provider's destructor waits for running processes to end.
  std::chrono::milliseconds shutdownGrace{2000};
};

/// The consumer provider of CommandLineEventConsumer: one sink per logical consumer (a changed
/// consumer gets a new one) and one thread that watches the processes they start. findConsumer
/// throws WBEM_E_INVALID_PARAMETER for a consumer with neither ExecutablePath nor a
/// CommandLineTemplate that names a program. Safety: thread-safe.
class CommandLineConsumerProvider final : public EventConsumerProvider {
 public:
  /// A provider and its watching thread. Thread-safe.
  explicit CommandLineConsumerProvider(CommandLineConsumerOptions options = {});
  /// Kills nothing: waits up to `shutdownGrace` for the running processes to end (still logging
  /// their output and applying KillTimeout), then stops the watching thread. Processes still
  /// running are left running, unwatched: their output is no longer read (writing it fails with
  /// EPIPE) and they are not reaped. Sinks handed out fail later events with
  /// WBEM_E_SHUTTING_DOWN. Not thread-safe.
  ~CommandLineConsumerProvider() override;

  /// The sink of `logicalConsumer` (see the file comment for what it does). Thread-safe.
  std::shared_ptr<UnboundObjectSink> findConsumer(const ClassObject& logicalConsumer) override;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace wbem
