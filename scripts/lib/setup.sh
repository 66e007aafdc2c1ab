# Shared set-up for the scripts in scripts/ (sourced, not run): installs the Debian packages that
# are missing (and only those), then configures and builds a CMake preset, incrementally.
# Messages go to stderr; a failure prints what went wrong and exits 3 (environment).

CERTBENCH_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

# Everything certbench builds with, tests with or runs (README.md says which library does what).
CERTBENCH_PACKAGES=(
  g++ cmake ninja-build pkg-config ccache            # toolchain
  libpq-dev libpqxx-dev                              # PostgreSQL client: libpq, libpqxx 6.4
  libfmt-dev libcli11-dev nlohmann-json3-dev         # formatting, command line, JSON
  libboost-dev prometheus-cpp-dev                    # Boost.Asio, prometheus-cpp
  libbenchmark-dev libgtest-dev                      # Google Benchmark, GoogleTest
  libjemalloc-dev libssl-dev                         # peak-heap counters; HMAC for cursors, base64
  liburing-dev                                       # io_uring for the file saves
  postgresql-15 postgresql-client-15                 # the embedded server, pgbench, psql
  redis-server libhiredis-dev                        # the embedded Redis, its C client (hiredis)
  prometheus                                         # promtool checks the exposition (tests)
  gnuplot-nox                                        # the report's charts (SVG, PNG)
  libbenchmark-tools python3-scipy python3-jsonschema  # tests: compare.py on benchmarks.json; the results schema
  libcurl4-openssl-dev prometheus-pushgateway        # pushing to a Pushgateway; a real one in the tests
  linux-perf                                         # certbench profile: perf record and perf script
  wrk                                                # the API's closed-loop load (run --only http)
)

certbench_say() { echo "certbench: $*" >&2; }

# certbench_install_missing [PACKAGE...]: the given packages (default: all of CERTBENCH_PACKAGES).
certbench_install_missing() {
  local wanted=("$@") missing=() p
  [ ${#wanted[@]} -gt 0 ] || wanted=("${CERTBENCH_PACKAGES[@]}")
  for p in "${wanted[@]}"; do
    dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null | grep -qx installed || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null; then sudo="sudo"; else
      certbench_say "missing Debian packages: ${missing[*]} (run as root, or install them: apt-get install ${missing[*]})"
      exit 3
    fi
  fi
  certbench_say "installing missing Debian packages: ${missing[*]}"
  local log; log="$(mktemp)"
  if ! { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq \
           --no-install-recommends "${missing[@]}"; } >"$log" 2>&1; then
    tail -n 20 "$log" >&2
    certbench_say "apt-get failed (full log: $log)"
    exit 3
  fi
  rm -f "$log"
}

# certbench_build_progress LOG PRESET: ninja's latest [n/N] from LOG while a build runs — one line
# rewritten in place on a terminal, a line every 30 s otherwise (CI logs). Killed by the caller.
certbench_build_progress() {
  local log="$1" preset="$2" step waited=0
  # The sleep holds none of the caller's descriptors (its pipes, the build lock): killed with the
  # loop, a sleep left over must not keep a reader of this script's output waiting.
  while sleep 2 </dev/null >/dev/null 2>&1 9>&-; do
    waited=$((waited + 2))
    step="$(tail -c 4096 "$log" 2>/dev/null | grep -o '^\[[0-9]*/[0-9]*\]' | tail -n 1 || true)"
    [ -n "$step" ] || continue
    if [ -t 2 ]; then
      printf '\rcertbench: building (%s) %s' "$preset" "$step" >&2
    elif [ $((waited % 30)) -eq 0 ]; then
      certbench_say "building ($preset) $step"
    fi
  done
}

# certbench_build PRESET [TARGET...]: configure once, then build incrementally — the TARGETs and
# what they need, or everything (serialized: two scripts building the same tree at once would trip
# over each other), showing ninja's progress.
certbench_build() {
  local preset="$1" dir="$CERTBENCH_ROOT/build/$1" log targets=("${@:2}")
  mkdir -p "$dir"
  log="$dir/last-build.log"
  (
    cd "$CERTBENCH_ROOT"
    flock 9
    if [ ! -f "$dir/build.ninja" ]; then
      certbench_say "configuring ($preset)"
      cmake --preset "$preset" >"$log" 2>&1 || { tail -n 30 "$log" >&2; certbench_say "configure failed (log: $log)"; exit 3; }
    fi
    if ninja -C "$dir" -n "${targets[@]}" 2>/dev/null | grep -q '^\['; then certbench_say "building ($preset)"; fi
    local build shown status=0
    cmake --build --preset "$preset" ${targets[@]:+--target "${targets[@]}"} >"$log" 2>&1 &
    build=$!
    certbench_build_progress "$log" "$preset" &
    shown=$!
    wait "$build" || status=$?
    kill "$shown" 2>/dev/null || true
    wait "$shown" 2>/dev/null || true
    if [ -t 2 ]; then printf '\r\033[K' >&2; fi
    if [ "$status" -ne 0 ]; then
      grep -E 'error|Error' -m 20 "$log" >&2; tail -n 10 "$log" >&2; certbench_say "build failed (log: $log)"; exit 3
    fi
  ) 9>"$dir/.build-lock"
}

# certbench_setup PRESET [TARGET...]: the packages, then the build.
certbench_setup() {
  certbench_install_missing
  certbench_build "$@"
}
