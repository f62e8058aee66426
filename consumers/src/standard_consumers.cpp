// The MOF declarations of the standard consumer classes, as WMI's wbemcons.mof and the class
// pages (desktop-src/WmiSdk/logfileeventconsumer.md, commandlineeventconsumer.md) give them.
// CreatorSID, MachineName and MaximumQueueSize come from __EventConsumer.

#include <wbem/standard_consumers.hpp>

#include <string_view>

namespace wbem {

std::string_view standardConsumerClassesMof() noexcept {
  return R"mof(// Writes customized strings to a text log file when events are delivered to it.
class LogFileEventConsumer : __EventConsumer
{
  [key] string Name;
  [not_null] string Filename;
  [Template] string Text;
  uint64 MaximumFileSize = 65535;
  boolean IsUnicode;
};

// Starts a process when an event is delivered to it.
class CommandLineEventConsumer : __EventConsumer
{
  [key] string Name;
  string ExecutablePath;
  [Template] string CommandLineTemplate;
  boolean UseDefaultErrorMode = FALSE;
  boolean CreateNewConsole = FALSE;
  boolean CreateNewProcessGroup = TRUE;
  boolean CreateSeparateWowVdm = FALSE;
  boolean CreateSharedWowVdm = FALSE;
  sint32 Priority = 32;
  string WorkingDirectory;
  string DesktopName;
  [Template] string WindowTitle;
  uint32 XCoordinate;
  uint32 YCoordinate;
  uint32 XSize;
  uint32 YSize;
  uint32 XNumCharacters;
  uint32 YNumCharacters;
  uint32 FillAttribute;
  uint32 ShowWindowCommand;
  boolean ForceOnFeedback = FALSE;
  boolean ForceOffFeedback = FALSE;
  boolean RunInteractively = FALSE;
  uint32 KillTimeout = 0;
};
)mof";
}

}  // namespace wbem
