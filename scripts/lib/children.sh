# shellcheck shell=bash
# Runs long-lived child processes for scripts/run: each with its own log file, stopped in reverse
# start order with SIGTERM (SIGKILL after a deadline), and never left behind.
#   gw_start_child worker-1 var/log/worker-1.log env A=B build/bin/gw-data-plane ...
#   address=$(gw_wait_for_listen 0 http 60); gw_wait_any_child; gw_stop_children

GW_CHILD_PIDS=()
GW_CHILD_NAMES=()
GW_CHILD_LOGS=()
# Exit codes of children already reaped by gw_wait_any_child, by pid.
declare -A GW_CHILD_EXIT_CODES=()

# Starts "$@" in the background with stdout and stderr to LOG (the previous run's log is kept as
# LOG.1). setsid keeps the terminal's Ctrl-C away from the children, so that the script alone
# decides the order they stop in; --pdeathsig stops them even when the script is SIGKILLed.
gw_start_child() {
  local name="$1" log="$2"
  shift 2
  if [[ -f "$log" ]]; then
    mv -f "$log" "$log.1"
  fi
  setsid setpriv --pdeathsig TERM -- "$@" </dev/null >"$log" 2>&1 &
  GW_CHILD_PIDS+=("$!")
  GW_CHILD_NAMES+=("$name")
  GW_CHILD_LOGS+=("$log")
}

# True while PID runs (a zombie, exited but not yet reaped, does not count).
gw_pid_running() {
  local stat
  { read -r stat <"/proc/$1/stat"; } 2>/dev/null || return 1
  stat="${stat##*) }"
  [[ "${stat:0:1}" != "Z" ]]
}

# Prints the last lines of child INDEX's log, indented, on stderr.
gw_child_log_tail() {
  local log="${GW_CHILD_LOGS[$1]}"
  echo "Last lines of $log:" >&2
  tail -n 20 "$log" 2>/dev/null | sed 's/^/  | /' >&2
}

# Fails with the child's log tail unless child INDEX still runs.
gw_require_child_running() {
  gw_pid_running "${GW_CHILD_PIDS[$1]}" && return 0
  echo "${GW_CHILD_NAMES[$1]} exited during start-up." >&2
  gw_child_log_tail "$1"
  return 1
}

# Prints the host:port child INDEX logged in its "listening KIND on host:port" line (KIND is
# grpc or http), waiting up to TIMEOUT seconds; fails with its log tail when it exits first.
gw_wait_for_listen() {
  local index="$1" kind="$2" timeout="$3" address
  local end=$((SECONDS + timeout))
  while :; do
    # [^ "] also ends the address inside a JSON log line.
    address=$(sed -n "s/.*listening $kind on \([^ \"]*\).*/\1/p" "${GW_CHILD_LOGS[$index]}" |
                head -n 1)
    if [[ -n "$address" ]]; then
      echo "$address"
      return 0
    fi
    gw_require_child_running "$index" || return 1
    if ((SECONDS >= end)); then
      echo "${GW_CHILD_NAMES[$index]} did not report its $kind address within ${timeout}s." >&2
      gw_child_log_tail "$index"
      return 1
    fi
    sleep 0.1
  done
}

# Waits until one child exits (or a trapped signal interrupts the wait), then prints which one
# and its log tail. Returns 1 when a child exited, the wait's status when a signal came.
gw_wait_any_child() {
  local exited_pid="" code=0 index
  wait -n -p exited_pid "${GW_CHILD_PIDS[@]}" || code=$?
  [[ -z "$exited_pid" ]] && return "$code"
  GW_CHILD_EXIT_CODES[$exited_pid]=$code
  for index in "${!GW_CHILD_PIDS[@]}"; do
    if [[ "${GW_CHILD_PIDS[$index]}" == "$exited_pid" ]]; then
      echo "${GW_CHILD_NAMES[$index]} exited with code $code; stopping the others." >&2
      gw_child_log_tail "$index"
    fi
  done
  return 1
}

# Stops child INDEX: SIGTERM, then SIGKILL after TIMEOUT seconds. Returns its exit code.
gw_stop_child() {
  local index="$1" timeout="$2"
  local pid="${GW_CHILD_PIDS[$index]}" name="${GW_CHILD_NAMES[$index]}" code=0
  if [[ -n "${GW_CHILD_EXIT_CODES[$pid]+set}" ]]; then
    return "${GW_CHILD_EXIT_CODES[$pid]}"
  fi
  if gw_pid_running "$pid"; then
    kill -TERM "$pid" 2>/dev/null || true
    local end=$((SECONDS + timeout))
    while gw_pid_running "$pid" && ((SECONDS < end)); do
      sleep 0.1
    done
    if gw_pid_running "$pid"; then
      echo "$name did not stop within ${timeout}s of SIGTERM; killing it." >&2
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  wait "$pid" 2>/dev/null || code=$?
  GW_CHILD_EXIT_CODES[$pid]=$code
  if ((code != 0)); then
    echo "$name exited with code $code." >&2
  fi
  return "$code"
}

# Stops every child, the last started first (a worker before the control plane it reports
# usage to). Returns 1 when any of them exited with a non-zero code.
gw_stop_children() {
  local index failed=0
  for ((index = ${#GW_CHILD_PIDS[@]} - 1; index >= 0; index--)); do
    gw_stop_child "$index" 20 || failed=1
  done
  return "$failed"
}
