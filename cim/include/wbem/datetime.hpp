#pragma once
// CIM datetime values: DMTF timestamps `yyyymmddHHMMSS.mmmmmmsUUU` and intervals
// `ddddddddHHMMSS.mmmmmm:000`, parsed, validated and formatted exactly.

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace wbem {

/// A CIM datetime: either a timestamp (with UTC offset in minutes) or an interval.
/// Fields hold what the DMTF string says; asterisk wildcards of the DMTF format are not accepted.
/// Ranges: years 0000-9999, seconds 00-59, UTC offsets within +-840 minutes (`-000` is refused so
/// that formatting what was parsed gives the same text), intervals up to 99999999 days.
class DateTime {
 public:
  /// The zero interval 00000000000000.000000:000.
  DateTime() = default;

  /// Parses a DMTF string; throws wbem::Error(WBEM_E_INVALID_PARAMETER) naming the bad field.
  /// Thread-safe.
  static DateTime parse(std::string_view dmtf);

  /// A timestamp from its fields; throws WBEM_E_INVALID_PARAMETER when a field is out of range.
  static DateTime timestamp(int year, int month, int day, int hour, int minute, int second,
                            int microsecond = 0, int utcOffsetMinutes = 0);
  /// An interval from its fields; throws WBEM_E_INVALID_PARAMETER when a field is out of range.
  static DateTime interval(std::uint32_t days, int hours, int minutes, int seconds, int microseconds = 0);

  /// The timestamp for a point in time, in UTC (offset +000).
  static DateTime fromTimePoint(std::chrono::system_clock::time_point tp);
  /// The instant a timestamp names (offset applied). Throws WBEM_E_INVALID_OPERATION for an interval
  /// and WBEM_E_VALUE_OUT_OF_RANGE outside system_clock's range (about 1677..2262). Thread-safe.
  std::chrono::system_clock::time_point toTimePoint() const;
  /// An interval's length. Throws WBEM_E_INVALID_OPERATION for a timestamp.
  std::chrono::microseconds toDuration() const;
  /// An interval of the given length (negative durations are refused with WBEM_E_INVALID_PARAMETER).
  static DateTime fromDuration(std::chrono::microseconds d);

  /// The 25-character DMTF text. Thread-safe.
  std::string toString() const;

  bool isInterval() const noexcept { return interval_; }
  int year() const noexcept { return year_; }
  int month() const noexcept { return month_; }
  int day() const noexcept { return day_; }
  std::uint32_t days() const noexcept { return days_; }  ///< interval days
  int hour() const noexcept { return hour_; }
  int minute() const noexcept { return minute_; }
  int second() const noexcept { return second_; }
  int microsecond() const noexcept { return microsecond_; }
  int utcOffsetMinutes() const noexcept { return utcOffset_; }

  /// Field-wise equality (the same DMTF text).
  friend bool operator==(const DateTime&, const DateTime&) = default;
  /// Orders timestamps by the instant they name and intervals by length; a timestamp and an
  /// interval are unordered. Thread-safe.
  friend std::partial_ordering operator<=>(const DateTime& a, const DateTime& b);

 private:
  bool interval_ = true;
  std::uint32_t days_ = 0;
  std::int16_t year_ = 0;
  std::int8_t month_ = 0;
  std::int8_t day_ = 0;
  std::int8_t hour_ = 0;
  std::int8_t minute_ = 0;
  std::int8_t second_ = 0;
  std::int32_t microsecond_ = 0;
  std::int16_t utcOffset_ = 0;
};

}  // namespace wbem
