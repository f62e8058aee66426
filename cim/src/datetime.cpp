// DMTF datetime parsing, validation, formatting and conversion to std::chrono.
//
// Decisions where DSP0004 leaves room:
// - Seconds are 00-59: system_clock (and so every conversion here) has no leap seconds.
// - The UTC offset is at most 840 minutes either way (UTC-14:00..UTC+14:00 covers every real zone);
//   "-000" is refused so that parse(s).toString() == s for every accepted s.
// - Years are 0000-9999, every value the four digits can hold (the proleptic Gregorian calendar).
// - Asterisk wildcards are refused with their column.

#include <wbem/datetime.hpp>
#include <wbem/status.hpp>

#include <cstdio>
#include <string>

namespace wbem {
namespace {

using std::chrono::microseconds;

constexpr std::size_t kDmtfLength = 25;
constexpr int kMaxYear = 9999;
constexpr std::uint32_t kMaxIntervalDays = 99'999'999;
constexpr int kMaxUtcOffset = 840;
constexpr std::int64_t kMicrosPerDay = std::int64_t{86'400} * 1'000'000;

// 1-based columns of the fields in the DMTF text, for error messages.
constexpr std::size_t kColYear = 1, kColMonth = 5, kColDay = 7, kColHour = 9, kColMinute = 11, kColSecond = 13,
                      kColDot = 15, kColMicro = 16, kColSign = 22, kColOffset = 23;

[[noreturn]] void fail(std::string message) { throw Error(WBEM_E_INVALID_PARAMETER, std::move(message)); }

// " at column N of "text"", or nothing for fields that did not come from a text (empty `text`).
std::string where(std::string_view text, std::size_t column) {
  if (text.empty()) return {};
  return " at column " + std::to_string(column) + " of \"" + std::string(text) + '"';
}

// A character as a message shows it: printable ASCII quoted, anything else as a byte value.
std::string describe(char c) {
  if (c >= 0x20 && c < 0x7f) return std::string("'") + c + "'";
  char buf[16];
  std::snprintf(buf, sizeof buf, "byte 0x%02x", static_cast<unsigned char>(c));
  return buf;
}

void checkRange(std::string_view field, std::int64_t value, std::int64_t lo, std::int64_t hi, std::string_view text,
                std::size_t column) {
  if (value < lo || value > hi)
    fail(std::string(field) + ' ' + std::to_string(value) + " out of range (" + std::to_string(lo) + ".." +
         std::to_string(hi) + ')' + where(text, column));
}

// Reads `count` decimal digits starting at 1-based `column`.
std::uint32_t readDigits(std::string_view text, std::size_t column, std::size_t count, std::string_view field) {
  std::uint32_t value = 0;
  for (std::size_t i = 0; i < count; ++i) {
    const char c = text[column - 1 + i];
    if (c == '*') fail("wildcard '*' in " + std::string(field) + " is not supported" + where(text, column + i));
    if (c < '0' || c > '9')
      fail(std::string(field) + ": digit expected, found " + describe(c) + where(text, column + i));
    value = value * 10 + static_cast<std::uint32_t>(c - '0');
  }
  return value;
}

void checkTimestamp(int year, int month, int day, int hour, int minute, int second, int microsecond, int offset,
                    std::string_view text) {
  checkRange("year", year, 0, kMaxYear, text, kColYear);
  checkRange("month", month, 1, 12, text, kColMonth);
  const std::chrono::year_month ym{std::chrono::year{year}, std::chrono::month{static_cast<unsigned>(month)}};
  const auto lastDay = static_cast<int>(static_cast<unsigned>((ym / std::chrono::last).day()));
  if (day < 1 || day > lastDay) {
    char ymText[16];
    std::snprintf(ymText, sizeof ymText, "%04d-%02d", year, month);
    fail("day " + std::to_string(day) + " out of range (1.." + std::to_string(lastDay) + " for " + ymText + ')' +
         where(text, kColDay));
  }
  checkRange("hour", hour, 0, 23, text, kColHour);
  checkRange("minute", minute, 0, 59, text, kColMinute);
  checkRange("second", second, 0, 59, text, kColSecond);
  checkRange("microseconds", microsecond, 0, 999'999, text, kColMicro);
  checkRange("UTC offset", offset, -kMaxUtcOffset, kMaxUtcOffset, text, kColSign);
}

void checkInterval(std::int64_t days, int hours, int minutes, int seconds, int micros, std::string_view text) {
  checkRange("days", days, 0, kMaxIntervalDays, text, kColYear);
  checkRange("hours", hours, 0, 23, text, kColHour);
  checkRange("minutes", minutes, 0, 59, text, kColMinute);
  checkRange("seconds", seconds, 0, 59, text, kColSecond);
  checkRange("microseconds", micros, 0, 999'999, text, kColMicro);
}

// Microseconds from 1970-01-01T00:00:00Z to the instant a (valid) timestamp names. Years 0-9999
// stay far inside int64 microseconds, unlike system_clock's nanoseconds.
std::int64_t timestampMicros(const DateTime& t) {
  using namespace std::chrono;
  const sys_days date{year{t.year()} / month{static_cast<unsigned>(t.month())} / day{static_cast<unsigned>(t.day())}};
  const microseconds local = duration_cast<microseconds>(date.time_since_epoch()) + hours{t.hour()} +
                             minutes{t.minute()} + seconds{t.second()} + microseconds{t.microsecond()};
  // Local time is UTC plus the offset: 12:00+060 is 11:00 UTC.
  return (local - minutes{t.utcOffsetMinutes()}).count();
}

}  // namespace

DateTime DateTime::parse(std::string_view dmtf) {
  if (dmtf.size() != kDmtfLength) {
    // Quote the text only while it is short enough to help rather than flood the message.
    const std::string quoted = dmtf.size() <= 2 * kDmtfLength ? ": \"" + std::string(dmtf) + '"' : std::string();
    fail("DMTF datetime must be 25 characters, not " + std::to_string(dmtf.size()) + quoted);
  }
  const char kind = dmtf[kColSign - 1];
  const bool isInterval = kind == ':';
  if (!isInterval && kind != '+' && kind != '-') {
    if (kind == '*') fail("wildcard '*' in UTC offset is not supported" + where(dmtf, kColSign));
    fail("'+', '-' or ':' expected, found " + describe(kind) + where(dmtf, kColSign));
  }
  // The sign column fixes the layout; then syntax left to right (the first malformed column is the
  // one reported), then ranges.
  std::uint32_t first;
  std::uint32_t month = 0, day = 0;
  if (isInterval) {
    first = readDigits(dmtf, kColYear, 8, "days");
  } else {
    first = readDigits(dmtf, kColYear, 4, "year");
    month = readDigits(dmtf, kColMonth, 2, "month");
    day = readDigits(dmtf, kColDay, 2, "day");
  }
  const auto hour = static_cast<int>(readDigits(dmtf, kColHour, 2, isInterval ? "hours" : "hour"));
  const auto minute = static_cast<int>(readDigits(dmtf, kColMinute, 2, isInterval ? "minutes" : "minute"));
  const auto second = static_cast<int>(readDigits(dmtf, kColSecond, 2, isInterval ? "seconds" : "second"));
  if (dmtf[kColDot - 1] != '.') fail("'.' expected, found " + describe(dmtf[kColDot - 1]) + where(dmtf, kColDot));
  const auto micro = static_cast<int>(readDigits(dmtf, kColMicro, 6, "microseconds"));
  const auto offset = static_cast<int>(readDigits(dmtf, kColOffset, 3, isInterval ? "interval suffix" : "UTC offset"));

  // The checks that know the text's columns run first; the factories then build the value (their
  // own checks cannot fail after these).
  if (isInterval) {
    if (offset != 0)
      fail("an interval ends in ':000', not ':" + std::string(dmtf.substr(kColOffset - 1)) + "'" +
           where(dmtf, kColOffset));
    checkInterval(first, hour, minute, second, micro, dmtf);
    return interval(first, hour, minute, second, micro);
  }
  if (kind == '-' && offset == 0) fail("UTC offset -000 must be written +000" + where(dmtf, kColSign));
  const int signedOffset = kind == '-' ? -offset : offset;
  checkTimestamp(static_cast<int>(first), static_cast<int>(month), static_cast<int>(day), hour, minute, second, micro,
                 signedOffset, dmtf);
  return timestamp(static_cast<int>(first), static_cast<int>(month), static_cast<int>(day), hour, minute, second, micro,
                   signedOffset);
}

DateTime DateTime::timestamp(int year, int month, int day, int hour, int minute, int second, int microsecond,
                             int utcOffsetMinutes) {
  checkTimestamp(year, month, day, hour, minute, second, microsecond, utcOffsetMinutes, {});
  DateTime result;
  result.interval_ = false;
  result.year_ = static_cast<std::int16_t>(year);
  result.month_ = static_cast<std::int8_t>(month);
  result.day_ = static_cast<std::int8_t>(day);
  result.hour_ = static_cast<std::int8_t>(hour);
  result.minute_ = static_cast<std::int8_t>(minute);
  result.second_ = static_cast<std::int8_t>(second);
  result.microsecond_ = microsecond;
  result.utcOffset_ = static_cast<std::int16_t>(utcOffsetMinutes);
  return result;
}

DateTime DateTime::interval(std::uint32_t days, int hours, int minutes, int seconds, int microseconds) {
  checkInterval(days, hours, minutes, seconds, microseconds, {});
  DateTime result;
  result.days_ = days;
  result.hour_ = static_cast<std::int8_t>(hours);
  result.minute_ = static_cast<std::int8_t>(minutes);
  result.second_ = static_cast<std::int8_t>(seconds);
  result.microsecond_ = microseconds;
  return result;
}

DateTime DateTime::fromTimePoint(std::chrono::system_clock::time_point tp) {
  using namespace std::chrono;
  // floor, not a cast: instants before 1970 must round towards the past to keep the date right.
  // (std::chrono::days is spelled out: the member days() hides it here.)
  const auto micros = floor<microseconds>(tp);
  const auto date = floor<std::chrono::days>(micros);
  const year_month_day ymd{date};
  const hh_mm_ss<microseconds> time{micros - date};
  return timestamp(static_cast<int>(ymd.year()), static_cast<int>(static_cast<unsigned>(ymd.month())),
                   static_cast<int>(static_cast<unsigned>(ymd.day())), static_cast<int>(time.hours().count()),
                   static_cast<int>(time.minutes().count()), static_cast<int>(time.seconds().count()),
                   static_cast<int>(time.subseconds().count()));
}

std::chrono::system_clock::time_point DateTime::toTimePoint() const {
  using Clock = std::chrono::system_clock;
  if (interval_) throw Error(WBEM_E_INVALID_OPERATION, "an interval names no point in time: " + toString());
  const std::int64_t micros = timestampMicros(*this);
  // system_clock counts nanoseconds in int64 here: it only reaches the years 1677-2262.
  constexpr auto lo = std::chrono::duration_cast<microseconds>(Clock::time_point::min().time_since_epoch()).count();
  constexpr auto hi = std::chrono::duration_cast<microseconds>(Clock::time_point::max().time_since_epoch()).count();
  if (micros < lo || micros > hi)
    throw Error(WBEM_E_VALUE_OUT_OF_RANGE, "timestamp " + toString() + " is outside the range of the system clock");
  return Clock::time_point{std::chrono::duration_cast<Clock::duration>(microseconds{micros})};
}

std::chrono::microseconds DateTime::toDuration() const {
  using namespace std::chrono;
  if (!interval_) throw Error(WBEM_E_INVALID_OPERATION, "a timestamp has no length: " + toString());
  // At most 99999999 days: about 8.6e18 microseconds, still inside int64.
  return microseconds{static_cast<std::int64_t>(days_) * kMicrosPerDay} + hours{hour_} + minutes{minute_} +
         seconds{second_} + microseconds{microsecond_};
}

DateTime DateTime::fromDuration(std::chrono::microseconds d) {
  if (d < microseconds::zero()) fail("a negative duration is no interval");
  const std::int64_t total = d.count();
  const std::int64_t days = total / kMicrosPerDay;
  if (days > kMaxIntervalDays)
    fail("duration of " + std::to_string(days) + " days exceeds the 99999999 of an interval");
  std::int64_t rest = total % kMicrosPerDay;
  const auto micros = static_cast<int>(rest % 1'000'000);
  rest /= 1'000'000;
  return interval(static_cast<std::uint32_t>(days), static_cast<int>(rest / 3600), static_cast<int>(rest / 60 % 60),
                  static_cast<int>(rest % 60), micros);
}

std::string DateTime::toString() const {
  // Larger than the 25 characters needed, so that -Wformat-truncation can prove the fit.
  char buf[64];
  if (interval_) {
    std::snprintf(buf, sizeof buf, "%08u%02d%02d%02d.%06d:000", static_cast<unsigned>(days_), hour_, minute_, second_,
                  static_cast<int>(microsecond_));
  } else {
    std::snprintf(buf, sizeof buf, "%04d%02d%02d%02d%02d%02d.%06d%c%03d", year_, month_, day_, hour_, minute_, second_,
                  static_cast<int>(microsecond_), utcOffset_ < 0 ? '-' : '+',
                  utcOffset_ < 0 ? -utcOffset_ : utcOffset_);
  }
  return buf;
}

std::partial_ordering operator<=>(const DateTime& a, const DateTime& b) {
  if (a.isInterval() != b.isInterval()) return std::partial_ordering::unordered;
  if (a.isInterval()) return a.toDuration() <=> b.toDuration();
  return timestampMicros(a) <=> timestampMicros(b);
}

}  // namespace wbem
