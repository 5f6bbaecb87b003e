import os
import sys
from pathlib import Path

from banlib import tools


def test_environment_puts_this_interpreters_bin_first():
    env = tools.environment({"PATH": "/usr/bin", "OTHER": "kept"})
    assert env["PATH"].split(os.pathsep) == [str(tools.BIN), "/usr/bin"] and env["OTHER"] == "kept"
    assert tools.environment()["PATH"].startswith(str(tools.BIN))


def test_program_prefers_the_copy_beside_the_interpreter():
    name = Path(sys.executable).name
    assert tools.program(name) == str(tools.BIN / name)
    assert tools.program("no-such-program-here") == "no-such-program-here"
