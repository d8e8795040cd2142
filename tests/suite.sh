#!/usr/bin/env bash
# The whole suite, as `make test` runs it. Most of the suite is one process at a time
# (ansible-playbook, pytest, molecule) that keeps one core busy, so it runs in two
# lanes side by side; the test units share no container, network, volume, port or
# path (each platform's names derive from its platform_name), so they may overlap.
#
#   images    every image of the recipes, built here when its recipe changed, so no
#             two lanes ever build one image at the same time
#   phase 1   lane a: unit tests, lint, the Molecule scenarios on this engine
#             lane b: the multihost scenario (Docker-in-Docker nodes of its own)
#   phase 2   the integration tests on two pytest-xdist workers, a module to a worker
#
# Each line is prefixed with its lane; each stage prints its wall time as it ends.
# The suite stops after the phase in which a stage failed, and fails.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

LANE_B_SCENARIOS=(multihost)
INTEGRATION_WORKERS=${INTEGRATION_WORKERS:-2}

stage() {  # stage NAME COMMAND...: runs COMMAND, prints its wall time; its status
  local name=$1 started=$SECONDS status
  shift
  "$@"
  status=$?
  echo "make test: $name $([ "$status" -eq 0 ] && echo passed || echo FAILED) in $((SECONDS - started)) s"
  return "$status"
}

scenario() {  # scenario NAME: one Molecule scenario; its failed tests printed last
  molecule test -s "$1" || { python tests/junit_failures.py "tests/output/molecule/$1.xml"; return 1; }
}

lane_a() {
  stage unit pytest -p no:cacheprovider tests/unit || return 1
  stage ansible-lint ansible-lint --profile production || return 1
  stage sanity tests/sanity.sh || return 1
  stage secrets tests/secrets_scan.sh || return 1
  local path name
  for path in molecule/*/molecule.yml; do
    name=$(basename "$(dirname "$path")")
    [[ " ${LANE_B_SCENARIOS[*]} " == *" $name "* ]] && continue
    stage "molecule $name" scenario "$name" || return 1
  done
}

lane_b() {
  local name
  for name in "${LANE_B_SCENARIOS[@]}"; do
    stage "molecule $name" scenario "$name" || return 1
  done
}

in_lane() {  # in_lane LABEL FUNCTION: the function, each line of its output prefixed
  "$2" 2>&1 | sed -u "s/^/[$1] /"
  return "${PIPESTATUS[0]}"
}

started=$SECONDS
rm -rf tests/output/molecule
stage images ansible-playbook -i localhost, tests/build_images.yml || exit 1

in_lane a lane_a & lane_a_pid=$!
in_lane b lane_b & lane_b_pid=$!
failed=0
wait "$lane_a_pid" || failed=1
wait "$lane_b_pid" || failed=1
echo "make test: phase 1 $([ "$failed" -eq 0 ] && echo passed || echo FAILED) in $((SECONDS - started)) s"
[ "$failed" -eq 0 ] || exit 1

stage integration pytest -p no:cacheprovider -n "$INTEGRATION_WORKERS" --dist loadfile --durations=25 \
  tests/integration || exit 1
echo "make test: the whole suite passed in $((SECONDS - started)) s"
