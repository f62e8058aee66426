#pragma once
// WMI's standard string templates (desktop-src/WmiSdk/using-standard-string-templates.md): the
// language of the [Template] properties of the standard consumers (LogFileEventConsumer.Text,
// CommandLineEventConsumer.CommandLineTemplate, ...), expanded once per delivered event.
//
//   %Prop%                 the event's property as text: TRUE/FALSE, decimal numbers, DMTF
//                          datetimes, strings as they are; NULL or a missing property gives ""
//   %TargetInstance.Prop%  a property of an embedded object, to any depth
//   %%                     one %
//   arrays                 (1,5,10,1024); one element alone; none gives (); string, reference and
//                          datetime elements are quoted: ("C:","D:")
//   embedded object        its MOF text (ClassObject::getObjectText)
//   %Objs.Prop%            over an array of embedded objects: the array of their values
//   "..."                  a pair of double quotes and what is between them are copied as they
//                          are, without substitution (spec case 65)
// A % that starts no variable (no closing %, or a name that is not a property path such as
// `50% of x%`) is copied as it is. Property names are case-insensitive.

#include <wbem/classobject.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace wbem {

/// `text` with its template variables replaced by the values of `event`'s properties (see the
/// file comment). Never throws for any template text. Thread-safe.
std::string formatTemplate(std::string_view text, const ClassObject& event);

/// One piece of a command-line argument: template text to expand, or text that was quoted in the
/// command line and so is copied without substitution.
struct TemplateSegment {
  std::string text;
  bool literal = false;

  friend bool operator==(const TemplateSegment&, const TemplateSegment&) = default;
};

/// One argument of a command-line template: its segments, in order.
using TemplateArgument = std::vector<TemplateSegment>;

/// Splits a command-line template into arguments before any substitution, so that no event value
/// can add an argument: spaces and tabs separate arguments; double quotes group (and are removed)
/// and make what they hold literal, as in formatTemplate; backslashes follow CommandLineToArgvW
/// (2n backslashes before a quote give n and the quote groups, 2n+1 give n and a literal quote,
/// others are kept). `""` is an empty argument. Thread-safe.
std::vector<TemplateArgument> parseTemplateArguments(std::string_view commandLine);

/// The text of `argument` for `event`: template segments expanded as formatTemplate expands text
/// outside quotes, literal segments as they are. Thread-safe.
std::string formatTemplateArgument(const TemplateArgument& argument, const ClassObject& event);

}  // namespace wbem
