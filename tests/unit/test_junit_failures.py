"""tests/junit_failures.py names each failed and erroring test of a JUnit report, with
the end of its report, and nothing for the tests that passed or were skipped."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import junit_failures  # noqa: E402  pylint: disable=wrong-import-position

REPORT = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest" errors="1" failures="1" skipped="1" tests="4">
<testcase classname="test_swarm" name="test_passes" time="1.0"/>
<testcase classname="test_swarm" name="test_skipped" time="0.1"><skipped message="no image"/></testcase>
<testcase classname="test_swarm" name="test_canary" time="9.0"><failure message="AssertionError">{lines}</failure></testcase>
<testcase classname="test_swarm" name="test_fixture" time="0.2"><error message="fixture nodes failed"/></testcase>
</testsuite></testsuites>
"""


def test_failed_and_erroring_cases_are_named_with_the_end_of_their_report(tmp_path, capsys):
    lines = "\n".join("line %d" % number for number in range(100))
    report = tmp_path / "multihost.xml"
    report.write_text(REPORT.format(lines=lines))

    found = junit_failures.failures(report)
    assert [name for name, unused in found] == ["test_swarm::test_canary (failure)", "test_swarm::test_fixture (error)"]
    text = found[0][1].splitlines()
    assert len(text) == junit_failures.REPORT_LINES and text[-1] == "line 99" and text[0] == "line 60"
    assert found[1][1] == "fixture nodes failed"

    assert junit_failures.main([str(report), str(tmp_path / "absent.xml")]) == 0
    printed = capsys.readouterr().out
    assert "=== multihost.xml: 2 failed" in printed and "--- test_swarm::test_canary (failure)" in printed
    assert "test_passes" not in printed and "test_skipped" not in printed


def test_no_report_is_said_and_is_not_an_error(tmp_path, capsys):
    assert junit_failures.main([str(tmp_path / "none.xml")]) == 0
    assert "no report" in capsys.readouterr().out
