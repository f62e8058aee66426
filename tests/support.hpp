#pragma once
// Helpers shared by the Catch2 tests: checking the WMI status and error a call throws.

#include <wbem/status.hpp>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

namespace wbemtest {

/// Runs `f`; returns the status of the wbem::Error it throws, WBEM_S_NO_ERROR when it throws none.
/// Any other exception propagates (and fails the test).
template <typename F>
wbem::Status statusOf(F&& f) {
  try {
    std::forward<F>(f)();
  } catch (const wbem::Error& e) {
    return e.status();
  }
  return wbem::WBEM_S_NO_ERROR;
}

/// The symbolic name of the status `f` throws ("WBEM_S_NO_ERROR" when none), for readable failures.
template <typename F>
std::string statusNameOf(F&& f) {
  return wbem::statusName(statusOf(std::forward<F>(f)));
}

/// The wbem::Error `f` throws; fails the test when it throws none.
template <typename F>
wbem::Error errorOf(F&& f) {
  try {
    std::forward<F>(f)();
  } catch (const wbem::Error& e) {
    return e;
  }
  FAIL("no wbem::Error thrown");
  throw std::logic_error("unreachable");
}

/// The message of the wbem::Error `f` throws, empty when it throws none.
template <typename F>
std::string messageOf(F&& f) {
  try {
    std::forward<F>(f)();
  } catch (const wbem::Error& e) {
    return e.message();
  }
  return {};
}

// Sets an environment variable for one scope and puts back what was there before.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value != nullptr)
      ::setenv(name, value, 1);
    else
      ::unsetenv(name);
  }
  ~ScopedEnv() {
    if (old_)
      ::setenv(name_, old_->c_str(), 1);
    else
      ::unsetenv(name_);
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

}  // namespace wbemtest

/// CHECK that the statement(s) throw wbem::Error with `code` (WBEM_S_NO_ERROR: throw nothing).
#define CHECK_STATUS(code, ...) \
  CHECK(::wbemtest::statusNameOf([&] { (void)(__VA_ARGS__); }) == ::wbem::statusName(code))
/// REQUIRE form of CHECK_STATUS.
#define REQUIRE_STATUS(code, ...) \
  REQUIRE(::wbemtest::statusNameOf([&] { (void)(__VA_ARGS__); }) == ::wbem::statusName(code))
/// CHECK that the statement(s) throw nothing.
#define CHECK_OK(...) CHECK_STATUS(::wbem::WBEM_S_NO_ERROR, __VA_ARGS__)
#define REQUIRE_OK(...) REQUIRE_STATUS(::wbem::WBEM_S_NO_ERROR, __VA_ARGS__)
