"""Print the failed and erroring tests of JUnit XML reports, each with the end of its
report: `make molecule` calls it when a scenario fails, so that what failed is the
last thing a CI log shows, after the scenarios' destroy steps.

    python tests/junit_failures.py tests/output/molecule/*.xml
"""

from __future__ import annotations

import sys
from xml.etree import ElementTree
from pathlib import Path

# The lines of each failure's report that are printed: its end says what failed.
REPORT_LINES = 40


def failures(report: Path) -> list[tuple[str, str]]:
    """(test id, the end of its failure report) for each failed or erroring test case."""
    found = []
    for case in ElementTree.parse(report).iter("testcase"):
        for outcome in ("failure", "error"):
            for element in case.findall(outcome):
                text = (element.text or element.get("message") or "").rstrip().splitlines()
                name = "%s::%s" % (case.get("classname", "?"), case.get("name", "?"))
                found.append(("%s (%s)" % (name, outcome), "\n".join(text[-REPORT_LINES:])))
    return found


def main(paths: list[str]) -> int:
    reports = [Path(path) for path in paths if Path(path).is_file()]
    if not reports:
        print("junit_failures: no report among %s" % " ".join(paths))
        return 0
    for report in reports:
        found = failures(report)
        print("=== %s: %d failed" % (report.name, len(found)))
        for name, text in found:
            print("--- %s\n%s" % (name, text))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
