#!/usr/bin/env bash
# The whole suite, as `make test` runs it. Most of the suite is one process at a time
# (ansible-playbook, pytest, molecule) that keeps one core busy, so it runs in two
# lanes side by side; the test units share no container, network, volume, port or
# path (each platform's names derive from its platform_name), so they may overlap.
#
#   images    every image of the recipes, built here when its recipe changed, so no
#             two lanes ever build one image at the same time
#   phase 1   lane a: unit tests and lint, then Molecule scenarios
#             lane b: Molecule scenarios
#             each lane takes the next scenario not yet taken, longest first
#             (SCENARIO_ORDER; the multihost scenario, by far the longest, goes to
#             lane b at once)
#   phase 2   the integration tests on two pytest-xdist workers, a module to a worker
#
# Each line is prefixed with its lane; each stage prints its wall time as it ends.
# The suite stops after the phase in which a stage failed, and fails; it then prints
# the end of the failed lane's own output (tests/output/lane-*.log, never interleaved
# with the other lane's) and, last, the stages that failed.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

# Scenarios longest first; any other scenario under molecule/ comes after these.
SCENARIO_ORDER=(multihost monitoring services rabbitmq tls default)
INTEGRATION_WORKERS=${INTEGRATION_WORKERS:-2}
CLAIMS=tests/output/molecule/claimed
# made when a lane fails: the other one then takes no further scenario
LANE_FAILED=tests/output/molecule/lane-failed
# a line per failed stage: its name, lane and wall time
FAILED_STAGES=tests/output/failed-stages
# the lines of a failed lane's own output printed at the end
FAILED_LANE_LINES=60

stage() {  # stage NAME COMMAND...: runs COMMAND, prints its wall time; its status
  local name=$1 started=$SECONDS status
  shift
  "$@"
  status=$?
  echo "make test: $name $([ "$status" -eq 0 ] && echo passed || echo FAILED) in $((SECONDS - started)) s"
  [ "$status" -eq 0 ] || echo "$name${LANE:+ (lane $LANE)}, after $((SECONDS - started)) s" >> "$FAILED_STAGES"
  return "$status"
}

report_failures() {  # the end of each failed lane's output, then the failed stages
  local log
  for log in tests/output/lane-*.log; do
    if [ ! -f "$log" ] || ! grep -q "^make test: .* FAILED in" "$log"; then continue; fi
    echo "make test: the last $FAILED_LANE_LINES lines of $log:"
    tail -n "$FAILED_LANE_LINES" "$log"
  done
  echo "make test: failed stages:"
  sed 's/^/  /' "$FAILED_STAGES"
}

scenario() {  # scenario NAME: one Molecule scenario; its failed tests printed last
  molecule test -s "$1" || { python tests/junit_failures.py "tests/output/molecule/$1.xml"; return 1; }
}

scenarios() {  # every scenario, in SCENARIO_ORDER first
  local path name
  printf '%s\n' "${SCENARIO_ORDER[@]}"
  for path in molecule/*/molecule.yml; do
    name=$(basename "$(dirname "$path")")
    [[ " ${SCENARIO_ORDER[*]} " == *" $name "* ]] || echo "$name"
  done
}

take_scenarios() {  # runs each scenario no lane has taken yet (mkdir is the atomic claim)
  local name
  for name in $(scenarios); do
    [ -e "$LANE_FAILED" ] && return 0
    [ -f "molecule/$name/molecule.yml" ] || continue
    mkdir "$CLAIMS/$name" 2>/dev/null || continue
    stage "molecule $name" scenario "$name" || return 1
  done
}

lane_a() {
  stage unit pytest -p no:cacheprovider tests/unit || return 1
  stage ansible-lint ansible-lint --profile production || return 1
  stage sanity tests/sanity.sh || return 1
  stage secrets tests/secrets_scan.sh || return 1
  take_scenarios
}

lane_b() {
  take_scenarios
}

in_lane() {  # in_lane LABEL FUNCTION: the function, each line of its output prefixed,
  # its output also kept unprefixed in tests/output/lane-LABEL.log
  LANE=$1 "$2" 2>&1 | tee "tests/output/lane-$1.log" | sed -u "s/^/[$1] /"
  [ "${PIPESTATUS[0]}" -eq 0 ] || { touch "$LANE_FAILED"; return 1; }
}

started=$SECONDS
rm -rf tests/output/molecule tests/output/lane-*.log "$FAILED_STAGES"
mkdir -p "$CLAIMS"
stage images ansible-playbook -i localhost, tests/build_images.yml || { report_failures; exit 1; }

in_lane a lane_a & lane_a_pid=$!
in_lane b lane_b & lane_b_pid=$!
failed=0
wait "$lane_a_pid" || failed=1
wait "$lane_b_pid" || failed=1
echo "make test: phase 1 $([ "$failed" -eq 0 ] && echo passed || echo FAILED) in $((SECONDS - started)) s"
[ "$failed" -eq 0 ] || { report_failures; exit 1; }

stage integration pytest -p no:cacheprovider -n "$INTEGRATION_WORKERS" --dist loadfile --durations=25 \
  tests/integration || { report_failures; exit 1; }
echo "make test: the whole suite passed in $((SECONDS - started)) s"
