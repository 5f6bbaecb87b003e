import re
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _lock():
    pins = {}
    for line in (REPO / "requirements" / "lock.txt").read_text().splitlines():
        m = re.match(r"^([A-Za-z0-9_.\-]+)==([^\s;]+)", line)
        if m:
            pins[m.group(1).lower().replace("_", "-")] = m.group(2)
    return pins


def _env_pins():
    pins = {}
    for line in (REPO / "environment.yml").read_text().splitlines():
        m = re.match(r"^\s*-\s*([A-Za-z0-9_.\-]+)\s*(==|=)\s*([^\s#]+)", line)
        if m and m.group(1) != "python":
            pins[m.group(1).lower().replace("_", "-")] = m.group(3)
    return pins


def test_environment_yml_agrees_with_lock():
    lock, env = _lock(), _env_pins()
    assert len(env) >= 20
    disagree = {k: (v, lock.get(k)) for k, v in env.items() if lock.get(k) != v}
    assert disagree == {}, f"environment.yml vs requirements/lock.txt: {disagree}"


def test_required_pins():
    lock = _lock()
    assert lock["torch"] == "2.11.0" and lock["torchaudio"] == "2.11.0"
    assert lock["jupyter-book"] == "1.0.4.post1"
    for name in ("papermill", "nilearn", "scikit-learn", "seaborn", "datalad", "git-annex", "captum", "soundfile"):
        assert name in lock, name
    assert int(lock["patool"].split(".")[0]) < 4         # patool 4 breaks datalad download-url --archive


def test_every_top_level_requirement_is_locked():
    lock = _lock()
    for line in (REPO / "requirements" / "base.in").read_text().splitlines():
        name = re.split(r"[<>=\s#]", line.strip(), maxsplit=1)[0].lower().replace("_", "-")
        if name:
            assert name in lock, f"{name} is in base.in but not pinned in lock.txt"
