// Tests of DMTF datetime parsing, validation, formatting, chrono conversions and ordering.

#include <wbem/datetime.hpp>
#include <wbem/status.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <compare>
#include <string>
#include <vector>

#include "support.hpp"

using wbem::DateTime;
using namespace std::chrono;
using Catch::Matchers::Contains;
using Catch::Matchers::EndsWith;
using Catch::Matchers::Equals;

namespace {

using wbemtest::errorOf;

wbem::Error parseError(const std::string& text) {
  return errorOf([&] { DateTime::parse(text); });
}

sys_time<microseconds> utc(year_month_day date, hours h = hours{0}, minutes m = minutes{0}, seconds s = seconds{0},
                           microseconds us = microseconds{0}) {
  return sys_days{date} + h + m + s + us;
}

}  // namespace

TEST_CASE("valid timestamps parse into their fields", "[datetime]") {
  struct Row {
    std::string text;
    int year, month, day, hour, minute, second, micro, offset;
  };
  const std::vector<Row> rows = {
      {"20260101120000.000000+060", 2026, 1, 1, 12, 0, 0, 0, 60},
      {"19991231235959.999999-300", 1999, 12, 31, 23, 59, 59, 999999, -300},
      {"20000229000000.000000+000", 2000, 2, 29, 0, 0, 0, 0, 0},
      {"20240229101010.101010+000", 2024, 2, 29, 10, 10, 10, 101010, 0},
      {"19000228000000.000000+000", 1900, 2, 28, 0, 0, 0, 0, 0},
      {"20230228000000.000000+000", 2023, 2, 28, 0, 0, 0, 0, 0},
      {"20260430000000.000000+000", 2026, 4, 30, 0, 0, 0, 0, 0},
      {"20260630000000.000000+000", 2026, 6, 30, 0, 0, 0, 0, 0},
      {"20260930000000.000000+000", 2026, 9, 30, 0, 0, 0, 0, 0},
      {"20261130000000.000000+000", 2026, 11, 30, 0, 0, 0, 0, 0},
      {"20260131000000.000000+000", 2026, 1, 31, 0, 0, 0, 0, 0},
      {"20260331000000.000000+000", 2026, 3, 31, 0, 0, 0, 0, 0},
      {"20260531000000.000000+000", 2026, 5, 31, 0, 0, 0, 0, 0},
      {"20260731000000.000000+000", 2026, 7, 31, 0, 0, 0, 0, 0},
      {"20260831000000.000000+000", 2026, 8, 31, 0, 0, 0, 0, 0},
      {"20261031000000.000000+000", 2026, 10, 31, 0, 0, 0, 0, 0},
      {"20261231000000.000000+000", 2026, 12, 31, 0, 0, 0, 0, 0},
      {"00000101000000.000000+000", 0, 1, 1, 0, 0, 0, 0, 0},
      {"99991231235959.999999+840", 9999, 12, 31, 23, 59, 59, 999999, 840},
      {"16010101000000.000000-840", 1601, 1, 1, 0, 0, 0, 0, -840},
      {"20260615083000.000001+330", 2026, 6, 15, 8, 30, 0, 1, 330},
      {"20261231230000.000000-001", 2026, 12, 31, 23, 0, 0, 0, -1},
  };
  for (const Row& r : rows) {
    INFO(r.text);
    const DateTime t = DateTime::parse(r.text);
    CHECK_FALSE(t.isInterval());
    CHECK(t.year() == r.year);
    CHECK(t.month() == r.month);
    CHECK(t.day() == r.day);
    CHECK(t.hour() == r.hour);
    CHECK(t.minute() == r.minute);
    CHECK(t.second() == r.second);
    CHECK(t.microsecond() == r.micro);
    CHECK(t.utcOffsetMinutes() == r.offset);
    CHECK(t.toString() == r.text);
    CHECK(t == DateTime::timestamp(r.year, r.month, r.day, r.hour, r.minute, r.second, r.micro, r.offset));
  }
}

TEST_CASE("valid intervals parse into their fields", "[datetime]") {
  struct Row {
    std::string text;
    std::uint32_t days;
    int hours, minutes, seconds, micros;
  };
  const std::vector<Row> rows = {
      {"00000000000000.000000:000", 0, 0, 0, 0, 0},
      {"00000001020304.000005:000", 1, 2, 3, 4, 5},
      {"00000000000001.000000:000", 0, 0, 0, 1, 0},
      {"99999999235959.999999:000", 99999999, 23, 59, 59, 999999},
      {"00012345120000.500000:000", 12345, 12, 0, 0, 500000},
  };
  for (const Row& r : rows) {
    INFO(r.text);
    const DateTime t = DateTime::parse(r.text);
    CHECK(t.isInterval());
    CHECK(t.days() == r.days);
    CHECK(t.hour() == r.hours);
    CHECK(t.minute() == r.minutes);
    CHECK(t.second() == r.seconds);
    CHECK(t.microsecond() == r.micros);
    CHECK(t.toString() == r.text);
    CHECK(t == DateTime::interval(r.days, r.hours, r.minutes, r.seconds, r.micros));
  }
}

TEST_CASE("the default DateTime is the zero interval", "[datetime]") {
  const DateTime zero;
  CHECK(zero.isInterval());
  CHECK(zero.toString() == "00000000000000.000000:000");
  CHECK(zero.toDuration() == microseconds{0});
  CHECK(zero == DateTime::parse("00000000000000.000000:000"));
}

TEST_CASE("malformed DMTF strings are refused naming the field and column", "[datetime]") {
  struct Row {
    std::string text;
    std::string message;
  };
  const std::vector<Row> rows = {
      // Length
      {"", "DMTF datetime must be 25 characters, not 0: \"\""},
      {"20260101120000.000000+00", "must be 25 characters, not 24"},
      {"20260101120000.000000+0000", "must be 25 characters, not 26"},
      {"20260101120000.000000", "must be 25 characters, not 21: \"20260101120000.000000\""},
      // Syntax, left to right
      {"2O260101120000.000000+000", "year: digit expected, found 'O' at column 2"},
      {"2026-1-1120000.000000+000", "month: digit expected, found '-' at column 5"},
      {"20260A01120000.000000+000", "month: digit expected, found 'A' at column 6"},
      {"2026010 120000.000000+000", "day: digit expected, found ' ' at column 8"},
      {"20260101x20000.000000+000", "hour: digit expected, found 'x' at column 9"},
      {"202601011200:0.000000+000", "second: digit expected, found ':' at column 13"},
      {"20260101120000,000000+000", "'.' expected, found ',' at column 15"},
      {"20260101120000.00000a+000", "microseconds: digit expected, found 'a' at column 21"},
      {"20260101120000.000000 000", "'+', '-' or ':' expected, found ' ' at column 22"},
      {"20260101120000.000000Z000", "'+', '-' or ':' expected, found 'Z' at column 22"},
      {"20260101120000.000000+0x0", "UTC offset: digit expected, found 'x' at column 24"},
      {std::string("20260101120000.000000+00\x01", 25), "found byte 0x01 at column 25"},
      // Wildcards are not supported
      {"2026**01120000.000000+000", "wildcard '*' in month is not supported at column 5"},
      {"****0101120000.000000+000", "wildcard '*' in year is not supported at column 1"},
      {"20260101120000.******+000", "wildcard '*' in microseconds is not supported at column 16"},
      {"20260101120000.000000****", "wildcard '*' in UTC offset is not supported at column 22"},
      {"20260101120000.000000+***", "wildcard '*' in UTC offset is not supported at column 23"},
      // Ranges
      {"20260001120000.000000+000", "month 0 out of range (1..12) at column 5"},
      {"20261301120000.000000+000", "month 13 out of range (1..12) at column 5"},
      {"20260100120000.000000+000", "day 0 out of range (1..31 for 2026-01) at column 7"},
      {"20260132120000.000000+000", "day 32 out of range (1..31 for 2026-01) at column 7"},
      {"20260431120000.000000+000", "day 31 out of range (1..30 for 2026-04) at column 7"},
      {"20260631120000.000000+000", "day 31 out of range (1..30 for 2026-06) at column 7"},
      {"20260931120000.000000+000", "day 31 out of range (1..30 for 2026-09) at column 7"},
      {"20261131120000.000000+000", "day 31 out of range (1..30 for 2026-11) at column 7"},
      {"20230229120000.000000+000", "day 29 out of range (1..28 for 2023-02) at column 7"},
      {"19000229120000.000000+000", "day 29 out of range (1..28 for 1900-02) at column 7"},
      {"21000229120000.000000+000", "day 29 out of range (1..28 for 2100-02) at column 7"},
      {"20240230120000.000000+000", "day 30 out of range (1..29 for 2024-02) at column 7"},
      {"20000230120000.000000+000", "day 30 out of range (1..29 for 2000-02) at column 7"},
      {"20260101240000.000000+000", "hour 24 out of range (0..23) at column 9"},
      {"20260101126000.000000+000", "minute 60 out of range (0..59) at column 11"},
      {"20260101120060.000000+000", "second 60 out of range (0..59) at column 13"},
      {"20260101120099.000000+000", "second 99 out of range (0..59) at column 13"},
      {"20260101120000.000000+841", "UTC offset 841 out of range (-840..840) at column 22"},
      {"20260101120000.000000-841", "UTC offset -841 out of range (-840..840) at column 22"},
      {"20260101120000.000000+999", "UTC offset 999 out of range (-840..840) at column 22"},
      {"20260101120000.000000-000", "UTC offset -000 must be written +000 at column 22"},
      // Intervals
      {"0000000a000000.000000:000", "days: digit expected, found 'a' at column 8"},
      {"00000000240000.000000:000", "hours 24 out of range (0..23) at column 9"},
      {"00000000006000.000000:000", "minutes 60 out of range (0..59) at column 11"},
      {"00000000000060.000000:000", "seconds 60 out of range (0..59) at column 13"},
      {"00000000000000.000000:001", "an interval ends in ':000', not ':001' at column 23"},
      {"00000000000000.000000:999", "an interval ends in ':000', not ':999' at column 23"},
      {"00000000000000.000000:+00", "interval suffix: digit expected, found '+' at column 23"},
      {"********000000.000000:000", "wildcard '*' in days is not supported at column 1"},
  };
  for (const Row& r : rows) {
    INFO(r.text);
    const wbem::Error e = parseError(r.text);
    CHECK(e.status() == wbem::WBEM_E_INVALID_PARAMETER);
    CHECK_THAT(e.message(), Contains(r.message));
    if (r.text.size() == 25) CHECK_THAT(e.message(), EndsWith(" of \"" + r.text + '"'));
  }
  const std::string longText(200, '1');
  CHECK_THAT(parseError(longText).message(), Equals("DMTF datetime must be 25 characters, not 200"));
}

TEST_CASE("every field boundary round-trips exactly", "[datetime]") {
  std::vector<std::string> texts;
  for (const char* year : {"0000", "0001", "1601", "1900", "1970", "2000", "2024", "9999"})
    for (const char* monthDay : {"0101", "0131", "0228", "0301", "1130", "1231"})
      for (const char* time : {"000000", "235959", "120000"})
        for (const char* micro : {"000000", "999999", "000001"})
          for (const char* offset : {"+000", "+840", "-840", "-001", "+001", "+060", "-300"})
            texts.push_back(std::string(year) + monthDay + time + '.' + micro + offset);
  for (const char* days : {"00000000", "00000001", "99999999", "12345678"})
    for (const char* time : {"000000", "235959", "010203"})
      for (const char* micro : {"000000", "999999", "000001"})
        texts.push_back(std::string(days) + time + '.' + micro + ":000");
  for (const std::string& s : texts) {
    INFO(s);
    CHECK(DateTime::parse(s).toString() == s);
  }
  CHECK(texts.size() == 8 * 6 * 3 * 3 * 7 + 4 * 3 * 3);
}

TEST_CASE("leap years follow the Gregorian rules", "[datetime]") {
  CHECK(DateTime::parse("20000229000000.000000+000").day() == 29);  // divisible by 400
  CHECK(DateTime::parse("20240229000000.000000+000").day() == 29);  // divisible by 4
  CHECK(DateTime::parse("16000229000000.000000+000").day() == 29);
  CHECK(DateTime::parse("00000229000000.000000+000").day() == 29);             // year 0 is a leap year
  CHECK_THROWS_AS(DateTime::parse("19000229000000.000000+000"), wbem::Error);  // divisible by 100
  CHECK_THROWS_AS(DateTime::parse("20230229000000.000000+000"), wbem::Error);
  CHECK_THROWS_AS(DateTime::parse("21000229000000.000000+000"), wbem::Error);
  CHECK_NOTHROW(DateTime::timestamp(2024, 2, 29, 0, 0, 0));
  CHECK_THROWS_AS(DateTime::timestamp(1900, 2, 29, 0, 0, 0), wbem::Error);
}

TEST_CASE("timestamp() and interval() validate their fields", "[datetime]") {
  const auto status = [](auto f) { return errorOf(f).status(); };
  CHECK(status([] { DateTime::timestamp(2026, 13, 1, 0, 0, 0); }) == wbem::WBEM_E_INVALID_PARAMETER);
  CHECK_THAT(errorOf([] { DateTime::timestamp(2026, 13, 1, 0, 0, 0); }).message(),
             Contains("month 13 out of range (1..12)") && !Contains("column"));
  CHECK_THAT(errorOf([] { DateTime::timestamp(2023, 2, 29, 0, 0, 0); }).message(),
             Contains("day 29 out of range (1..28 for 2023-02)"));
  CHECK_THAT(errorOf([] { DateTime::timestamp(10000, 1, 1, 0, 0, 0); }).message(),
             Contains("year 10000 out of range (0..9999)"));
  CHECK_THAT(errorOf([] { DateTime::timestamp(-1, 1, 1, 0, 0, 0); }).message(), Contains("year -1 out of range"));
  CHECK_THAT(errorOf([] { DateTime::timestamp(2026, 1, 1, 24, 0, 0); }).message(), Contains("hour 24"));
  CHECK_THAT(errorOf([] { DateTime::timestamp(2026, 1, 1, -1, 0, 0); }).message(), Contains("hour -1"));
  CHECK_THAT(errorOf([] { DateTime::timestamp(2026, 1, 1, 0, 60, 0); }).message(), Contains("minute 60"));
  CHECK_THAT(errorOf([] { DateTime::timestamp(2026, 1, 1, 0, 0, 60); }).message(), Contains("second 60"));
  CHECK_THAT(errorOf([] { DateTime::timestamp(2026, 1, 1, 0, 0, 0, 1000000); }).message(),
             Contains("microseconds 1000000"));
  CHECK_THAT(errorOf([] { DateTime::timestamp(2026, 1, 1, 0, 0, 0, -1); }).message(), Contains("microseconds -1"));
  CHECK_THAT(errorOf([] { DateTime::timestamp(2026, 1, 1, 0, 0, 0, 0, 841); }).message(), Contains("UTC offset 841"));
  CHECK_THAT(errorOf([] { DateTime::timestamp(2026, 1, 1, 0, 0, 0, 0, -841); }).message(), Contains("UTC offset -841"));
  CHECK(DateTime::timestamp(2026, 1, 1, 0, 0, 0, 0, -840).toString() == "20260101000000.000000-840");

  CHECK_THAT(errorOf([] { DateTime::interval(100000000, 0, 0, 0); }).message(),
             Contains("days 100000000 out of range (0..99999999)"));
  CHECK_THAT(errorOf([] { DateTime::interval(0, 24, 0, 0); }).message(), Contains("hours 24"));
  CHECK_THAT(errorOf([] { DateTime::interval(0, 0, 60, 0); }).message(), Contains("minutes 60"));
  CHECK_THAT(errorOf([] { DateTime::interval(0, 0, 0, 60); }).message(), Contains("seconds 60"));
  CHECK_THAT(errorOf([] { DateTime::interval(0, 0, 0, 0, 1000000); }).message(), Contains("microseconds 1000000"));
  CHECK(DateTime::interval(99999999, 23, 59, 59, 999999).toString() == "99999999235959.999999:000");
}

TEST_CASE("toTimePoint applies the UTC offset", "[datetime]") {
  CHECK(DateTime::parse("19700101000000.000000+000").toTimePoint() == system_clock::time_point{});
  CHECK(DateTime::parse("20260101120000.000000+060").toTimePoint() == utc(2026y / 1 / 1, hours{11}));
  CHECK(DateTime::parse("20260101120000.000000-060").toTimePoint() == utc(2026y / 1 / 1, hours{13}));
  // Offsets move the instant across a day, month and year boundary.
  CHECK(DateTime::parse("20260101003000.000000+060").toTimePoint() == utc(2025y / 12 / 31, hours{23}, minutes{30}));
  CHECK(DateTime::parse("20251231230000.000000-120").toTimePoint() == utc(2026y / 1 / 1, hours{1}));
  CHECK(DateTime::parse("20000229235959.999999+000").toTimePoint() ==
        utc(2000y / 2 / 29, hours{23}, minutes{59}, seconds{59}, microseconds{999999}));
  CHECK(DateTime::parse("19691231235959.000000+000").toTimePoint() == system_clock::time_point{} - seconds{1});
  // 2001-09-09T01:46:40Z is 1,000,000,000 s after the epoch.
  CHECK(DateTime::parse("20010909014640.000000+000").toTimePoint().time_since_epoch() == seconds{1'000'000'000});
  CHECK(DateTime::parse("20010909031640.000000+090").toTimePoint().time_since_epoch() == seconds{1'000'000'000});
}

TEST_CASE("toTimePoint refuses intervals and instants outside the system clock", "[datetime]") {
  const wbem::Error interval = errorOf([] { DateTime::parse("00000001000000.000000:000").toTimePoint(); });
  CHECK(interval.status() == wbem::WBEM_E_INVALID_OPERATION);
  const wbem::Error late = errorOf([] { DateTime::parse("99991231235959.999999+000").toTimePoint(); });
  CHECK(late.status() == wbem::WBEM_E_VALUE_OUT_OF_RANGE);
  CHECK_THAT(late.message(), Contains("99991231235959.999999+000"));
  CHECK(errorOf([] { DateTime::parse("00000101000000.000000+000").toTimePoint(); }).status() ==
        wbem::WBEM_E_VALUE_OUT_OF_RANGE);
  CHECK_NOTHROW(DateTime::parse("22000101000000.000000+000").toTimePoint());
  CHECK_NOTHROW(DateTime::parse("17000101000000.000000+000").toTimePoint());
}

TEST_CASE("fromTimePoint gives a UTC timestamp with microsecond precision", "[datetime]") {
  CHECK(DateTime::fromTimePoint(system_clock::time_point{}).toString() == "19700101000000.000000+000");
  CHECK(DateTime::fromTimePoint(utc(2000y / 2 / 29, hours{13}, minutes{14}, seconds{15}, microseconds{123456}))
            .toString() == "20000229131415.123456+000");
  CHECK(DateTime::fromTimePoint(utc(2026y / 12 / 31, hours{23}, minutes{59}, seconds{59}, microseconds{999999}))
            .toString() == "20261231235959.999999+000");
  // Sub-microsecond parts are dropped towards the past, also before 1970.
  CHECK(DateTime::fromTimePoint(system_clock::time_point{} + nanoseconds{1999}).toString() ==
        "19700101000000.000001+000");
  CHECK(DateTime::fromTimePoint(system_clock::time_point{} - nanoseconds{1}).toString() == "19691231235959.999999+000");
  CHECK(DateTime::fromTimePoint(utc(1900y / 3 / 1)).toString() == "19000301000000.000000+000");

  const auto now = system_clock::now();
  const DateTime t = DateTime::fromTimePoint(now);
  CHECK(t.utcOffsetMinutes() == 0);
  CHECK(t.toTimePoint() == floor<microseconds>(now));
  CHECK(DateTime::parse(t.toString()) == t);
}

TEST_CASE("intervals convert to and from durations", "[datetime]") {
  CHECK(DateTime::parse("00000001020304.000005:000").toDuration() ==
        days{1} + hours{2} + minutes{3} + seconds{4} + microseconds{5});
  CHECK(DateTime::parse("99999999235959.999999:000").toDuration() == days{100000000} - microseconds{1});
  CHECK(DateTime::fromDuration(microseconds{0}).toString() == "00000000000000.000000:000");
  CHECK(DateTime::fromDuration(microseconds{90'061'000'001}).toString() == "00000001010101.000001:000");
  CHECK(DateTime::fromDuration(hours{49} + milliseconds{1500}).toString() == "00000002010001.500000:000");
  CHECK(DateTime::fromDuration(days{100000000} - microseconds{1}).toString() == "99999999235959.999999:000");
  for (const char* s : {"00000000000000.000001:000", "00000365000000.000000:000", "12345678123456.654321:000"}) {
    INFO(s);
    CHECK(DateTime::fromDuration(DateTime::parse(s).toDuration()).toString() == s);
  }
  CHECK(errorOf([] { DateTime::fromDuration(microseconds{-1}); }).status() == wbem::WBEM_E_INVALID_PARAMETER);
  CHECK(errorOf([] { DateTime::fromDuration(days{100000000}); }).status() == wbem::WBEM_E_INVALID_PARAMETER);
  CHECK(errorOf([] { DateTime::parse("20260101000000.000000+000").toDuration(); }).status() ==
        wbem::WBEM_E_INVALID_OPERATION);
}

TEST_CASE("timestamps order by instant, intervals by length, mixed are unordered", "[datetime]") {
  const DateTime a = DateTime::parse("20260101120000.000000+000");
  const DateTime b = DateTime::parse("20260101120000.000001+000");
  CHECK(a < b);
  CHECK(b > a);
  CHECK(a <= a);
  CHECK((a <=> a) == std::partial_ordering::equivalent);

  // The same instant written in two zones: equivalent for ordering, different texts.
  const DateTime noonUtc = DateTime::parse("20260101120000.000000+000");
  const DateTime oneInParis = DateTime::parse("20260101130000.000000+060");
  CHECK((noonUtc <=> oneInParis) == std::partial_ordering::equivalent);
  CHECK_FALSE(noonUtc == oneInParis);
  // 12:30 at +060 is 11:30 UTC: earlier than 12:00 UTC although its local time is later.
  CHECK(DateTime::parse("20260101123000.000000+060") < noonUtc);
  // 23:00 on the eve at -840 is 13:00 UTC on new year's day: later despite its earlier date.
  CHECK(DateTime::parse("20251231230000.000000-840") > noonUtc);
  CHECK(DateTime::parse("00000101000000.000000+000") < DateTime::parse("99991231235959.999999+000"));

  const DateTime oneDay = DateTime::parse("00000001000000.000000:000");
  const DateTime hours25 = DateTime::interval(0, 23, 59, 59, 999999);
  CHECK(hours25 < oneDay);
  CHECK(DateTime::interval(1, 0, 0, 0, 1) > oneDay);
  CHECK((oneDay <=> DateTime::interval(1, 0, 0, 0)) == std::partial_ordering::equivalent);

  CHECK((a <=> oneDay) == std::partial_ordering::unordered);
  CHECK((oneDay <=> a) == std::partial_ordering::unordered);
  CHECK_FALSE(a < oneDay);
  CHECK_FALSE(a > oneDay);
  CHECK_FALSE(a <= oneDay);
  CHECK_FALSE(a == oneDay);
}
