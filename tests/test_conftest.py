"""The test session's own scheduling (tests/conftest.py): lowering the priority while the book runs in the
background must not outlive the session."""
import subprocess
import sys

import pytest

from conftest import AUTOGROUP, REPO

PROBE = """
import os, sys
sys.path.insert(0, "tests")
import conftest
group = conftest.AUTOGROUP
restore = conftest._lower_priority()
print(group.read_text().split()[-1], os.getpriority(os.PRIO_PROCESS, 0))
restore()
print(group.read_text().split()[-1])
"""


def test_the_session_group_gets_its_priority_back():
    if not AUTOGROUP.exists():
        pytest.skip(f"{AUTOGROUP} not found: no Linux autogroups here, so nothing is lowered beyond this process")
    # setsid: a session (and so a scheduler group) of its own, not the one this test runs in
    out = subprocess.run(["setsid", sys.executable, "-c", PROBE], cwd=REPO, capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["19", "19", "0"]
