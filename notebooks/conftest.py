"""Report the notebooks' smoke-run time at the end of every pytest run that executes them.

CI's budget for the smoke run of all notebooks is 15 minutes on 2 cores (issue 5); the
summary line shows where it stands, per notebook, in CI's output.
"""

from collections import defaultdict

BUDGET_MINUTES = 15.0
_seconds = defaultdict(float)


def pytest_runtest_logreport(report):
    path = report.nodeid.split("::", 1)[0]
    if path.endswith(".ipynb"):  # setup, call and teardown of each cell
        _seconds[path] += report.duration


def pytest_terminal_summary(terminalreporter):
    if not _seconds:
        return
    total = sum(_seconds.values()) / 60
    terminalreporter.section("notebook smoke-run time")
    for path, seconds in sorted(_seconds.items()):
        terminalreporter.write_line(f"{seconds:7.1f} s  {path}")
    verdict = "within" if total <= BUDGET_MINUTES else "OVER"
    terminalreporter.write_line(
        f"all notebooks: {total:.1f} min, {verdict} the {BUDGET_MINUTES:.0f}-minute budget"
    )
