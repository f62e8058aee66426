#!/usr/bin/env bash
# Installs the Debian packages wbem needs to build, test and run, and creates the accounts the
# real-user end-to-end tests run as. Safe to run again: it does nothing when everything is already
# there. As root it installs; otherwise it prints the command.
set -euo pipefail

# Everything the project needs from Debian 12, in one place.
readonly PACKAGES=(
  cmake ninja-build g++ make pkg-config git  # build tools
  catch2                                      # unit tests
  libcli11-dev                                # command-line parsing
  libspdlog-dev libfmt-dev                    # logging and formatting
  libboost-dev                                # Boost headers
  libconcurrentqueue-dev                      # lock-free queues
  libabsl-dev                                 # flat hash maps of the filter index
  libsqlite3-dev                              # SQLite storage
  libmsgpack-cxx-dev                          # msgpack encoding of the daemon protocol (wbem::decoupled)
  nlohmann-json3-dev                          # JSON output of wbemctl
  libsystemd-dev                              # sd_notify for wbemd's Type=notify unit
  clang libclang-rt-14-dev                    # libFuzzer targets
  lld                                         # links the sanitizer builds' many test programs fast
)

# tests/e2e/test_real_users.cpp runs wbemctl as these against a root daemon: alice and bob are
# ordinary users, carol administers wbem through the admin group without being root.
create_test_users() {
  if ((EUID != 0)); then
    echo "setup: not root: test users not created (the real-user tests will skip)"
    return
  fi
  getent group wbem-admin >/dev/null || groupadd --system wbem-admin
  local user
  for user in wbem-test-alice wbem-test-bob wbem-test-carol; do
    id "$user" >/dev/null 2>&1 || useradd --system --no-create-home --user-group --shell /usr/sbin/nologin "$user"
  done
  usermod --append --groups wbem-admin wbem-test-carol
  echo "setup: test users wbem-test-alice, wbem-test-bob and wbem-test-carol (in wbem-admin) are there"
}

is_installed() {
  [[ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" == installed ]]
}

create_test_users

missing=()
for package in "${PACKAGES[@]}"; do
  is_installed "$package" || missing+=("$package")
done

if ((${#missing[@]} == 0)); then
  echo "setup: all ${#PACKAGES[@]} required packages are installed"
  exit 0
fi

echo "setup: missing packages: ${missing[*]}"
install_command=(apt-get install -y --no-install-recommends "${missing[@]}")
if ((EUID != 0)); then
  echo "setup: run as root to install them:" >&2
  echo "  sudo apt-get update && sudo DEBIAN_FRONTEND=noninteractive ${install_command[*]}" >&2
  exit 1
fi

apt-get update
DEBIAN_FRONTEND=noninteractive "${install_command[@]}"
echo "setup: installed ${missing[*]}"
