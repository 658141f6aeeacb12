# shellcheck shell=bash
# The one list of Debian packages the project needs, and gw_ensure_deps, which installs the
# missing ones (as root) or prints the exact command to do so. Sourced by scripts/run and
# scripts/test:   source "$(dirname "$0")/lib/deps.sh"; gw_ensure_deps

# Add a package here (with the reason) when a feature starts needing it; nothing else installs.
GW_DEBIAN_PACKAGES=(
  # Toolchain and build.
  g++ cmake ninja-build ccache ca-certificates
  # scripts/run: the worker's readiness check and the curl line it prints.
  curl
  # RPC and serialisation: gRPC 1.51, protobuf 3.21 and its compiler plugins.
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  # Libraries: abseil, logging, Boost (Asio/Beast, JSON, URL), SQLite, OpenSSL.
  libabsl-dev libspdlog-dev libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libsqlite3-dev libssl-dev
  # zlib: the usage spool's CRC-32.
  zlib1g-dev
  # gwctl: YAML config files and the command line.
  libyaml-cpp-dev libcli11-dev
  # Tests (openssl: the test CA and certificates are made at test time; nodejs and npm: the
  # official openai npm package is run against a worker).
  libgtest-dev libgmock-dev openssl nodejs npm
  # google/api and google/rpc protos, and grpc-gateway 1.6 for the proto compatibility test.
  golang-github-gogo-googleapis-dev golang-grpc-gateway
)

# Prints the packages of GW_DEBIAN_PACKAGES that are not installed, one per line. A package
# that an installed one provides counts as installed: a Node.js build that bundles npm
# provides "npm" and conflicts with Debian's, so installing that one would fail.
gw_missing_packages() {
  local installed provided
  # dpkg-query skips unknown packages (on stderr) and then exits 1, which under the callers'
  # `set -eo pipefail` would silently end this function with an empty list: hence `|| true`.
  # Keep only fully installed packages ("ii").
  installed=$( (dpkg-query -W -f='${Package} ${db:Status-Abbrev}\n' "${GW_DEBIAN_PACKAGES[@]}" \
                  2>/dev/null || true) | awk '$2 == "ii" { print $1 }')
  # Provides lists read "a, b (= 1.0), c".
  provided=$(dpkg-query -W -f='${db:Status-Abbrev}|${Provides}\n' 2>/dev/null \
               | awk -F'|' '$1 ~ /^ii/ && $2 != "" { print $2 }' | tr ',' '\n' \
               | sed -E 's/\(.*\)//; s/^ +//; s/ +$//')
  local pkg
  for pkg in "${GW_DEBIAN_PACKAGES[@]}"; do
    grep -qxF -- "$pkg" <<<"$installed" || grep -qxF -- "$pkg" <<<"$provided" || echo "$pkg"
  done
}

# Installs what is missing when run as root; otherwise prints the command and returns 1.
gw_ensure_deps() {
  # A command substitution, not `< <(...)`: a failure while listing must stop the script,
  # not read as "nothing is missing".
  local listed
  listed=$(gw_missing_packages)
  local -a missing=()
  [[ -n "$listed" ]] && mapfile -t missing <<<"$listed"
  ((${#missing[@]} == 0)) && return 0
  if ((EUID != 0)); then
    echo "Missing Debian packages: ${missing[*]}" >&2
    echo "Install them with:" >&2
    echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
    return 1
  fi
  echo "Installing missing Debian packages: ${missing[*]}" >&2
  # One update per run; apt's lists are often absent on a fresh machine.
  apt-get update -q >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
}
