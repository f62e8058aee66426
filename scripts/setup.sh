#!/usr/bin/env bash
# Installs the Debian packages wbem needs to build, test and run. Safe to run again: it does
# nothing when everything is already there. As root it installs; otherwise it prints the command.
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
)

is_installed() {
  [[ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" == installed ]]
}

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
