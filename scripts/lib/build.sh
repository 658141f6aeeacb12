# shellcheck shell=bash
# Configures build/ once (Release, Ninja) and builds it incrementally. ccache is picked up by
# CMakeLists.txt when installed.   source scripts/lib/build.sh; gw_build [targets...]
# GW_BUILD_DIR overrides the build directory (default: build).

# Builds the given ninja targets, or everything when none are given.
# shellcheck disable=SC2120  # targets are optional
gw_build() {
  local build_dir="${GW_BUILD_DIR:-build}"
  if [[ ! -f "$build_dir/build.ninja" ]]; then
    cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release
  fi
  ninja -C "$build_dir" "$@"
}
