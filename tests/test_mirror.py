"""The real-data route end to end, offline: the mirror served on 127.0.0.1, fetched with the three
real ``banlib fetch`` commands from another directory (fixtures in conftest.py), then read."""
import hashlib
import json
import subprocess
import zipfile

import numpy as np
import pytest

from banlib import tools
from banlib.data import fetch
from banlib.data.audio import AudioError, read_audio
from banlib.data.dataset import (ROWS_PER_KIND, VOXELS_BY_TRS, DataError, check_present, load_responses,
                                 open_source, response_orientation, voxel_table)
from banlib.data.design import clip_table
from banlib.data.stimuli import FILES_ROUTE, INT16_SCALE, read_stimulus_files, stimulus_clips

from conftest import banlib_cli, fetch_commands

pytestmark = pytest.mark.e2e


def _head(path) -> str:
    return subprocess.run(["git", "-C", str(path), "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()


def test_mirror_holds_what_the_real_delivery_holds_and_nothing_more(mirror, tmp_path):
    ds = mirror / "ds003720"
    assert subprocess.run(["git", "-C", str(ds), "tag"], capture_output=True, text=True).stdout.split() == ["1.0.1"]
    assert (ds / "info" / "refs").exists() or (ds / ".git" / "info" / "refs").exists()     # dumb-HTTP clonable
    assert not list(ds.glob("sub-*/beh")) and not (ds / "derivative").exists()
    assert not [p for p in mirror.rglob("*") if "twin_truth" in p.parts or p.name.endswith("_voxels.tsv")]
    bold = ds / "sub-001" / "func" / "sub-001_task-Training_run-01_bold.nii"
    assert bold.is_symlink() and not bold.exists()                                    # annexed, no content
    assert "MD5E-s513884512--035d2dbe447e1da03f9b772c8c78c5b9.nii" in str(bold.readlink())
    record = json.loads((mirror / "zenodo" / "records" / "8275363.json").read_text())
    entry = next(f for f in record["files"] if f["key"] == "sub-001_Resp_Training.npy")
    stored = np.load(mirror / "zenodo" / "records" / entry["links"]["self"], mmap_mode="r")
    assert stored.shape[1] == 4800 and entry["checksum"].startswith("md5:")            # voxels x TRs
    with zipfile.ZipFile(mirror / "kaggle" / "archive.zip") as zf:
        names = zf.namelist()
        assert all(n.startswith("Data/genres_original/") for n in names)
        zf.extract("Data/genres_original/jazz/jazz.00054.wav", tmp_path)
    with pytest.raises(AudioError, match="truncated"):
        read_audio(tmp_path / "Data" / "genres_original" / "jazz" / "jazz.00054.wav")


def test_fetched_data_open_and_read_as_the_design(mirror, mirror_data, quick_twin):
    src = open_source("openneuro", mirror_data)
    assert src.subjects() == quick_twin.subjects()
    for kind, rows in ROWS_PER_KIND.items():
        Y = load_responses(src, "sub-002", kind)
        assert response_orientation(src, "sub-002", kind) == VOXELS_BY_TRS
        assert Y.shape[0] == rows and isinstance(Y, np.memmap)
        np.testing.assert_array_equal(np.asarray(Y[:, :50]), np.asarray(load_responses(quick_twin, "sub-002", kind)[:, :50]))
    assert voxel_table(src, "sub-001") is None
    index = json.loads((mirror / "index.json").read_text())
    record = json.loads((mirror / "zenodo" / "records" / "8275363.json").read_text())
    md5 = {f["key"]: f["checksum"][4:] for f in record["files"]}
    info = src.info
    assert info["version"] == "1.0.1" and info["commit"] == _head(mirror / "ds003720")
    assert info["derivatives"]["record"] == "8275363"
    assert info["derivatives"]["md5"]["sub-003_Resp_Test_Mean.npy"] == md5["sub-003_Resp_Test_Mean.npy"]
    assert info["gtzan"] == {"source_url": index_url(info), "sha256": index["gtzan_sha256"], "sha256_checked": True}
    label = src.label
    for part in ("ds003720 v1.0.1", info["commit"][:10], "Zenodo 8275363", index["gtzan_sha256"][:12], "authors' files"):
        assert part in label


def index_url(info) -> str:
    assert info["gtzan"]["source_url"].endswith("/kaggle/archive.zip")
    return info["gtzan"]["source_url"]


def test_stimuli_are_cut_and_scaled_by_the_record_files(mirror_data, quick_twin):
    src = open_source("openneuro", mirror_data)
    assert src.info["stimuli"].startswith(FILES_ROUTE) and "ds003720-derivatives" in src.info["stimuli"]
    clips = clip_table(src).iloc[::37]
    played, twin = stimulus_clips(src, clips), stimulus_clips(quick_twin, clips)
    assert sorted(played) == sorted(twin) == list(range(len(clips)))
    target = read_stimulus_files(src).rms / INT16_SCALE
    for i, wave in played.items():
        np.testing.assert_array_equal(wave, twin[i])
        assert np.sqrt(np.mean(wave.astype(np.float64) ** 2)) == pytest.approx(target, rel=1e-5)


def test_printed_datalad_get_for_raw_bold_runs_from_another_directory(mirror_data, tmp_path):
    src = open_source("openneuro", mirror_data)
    bold = src.bids_root / "sub-001" / "func" / "sub-001_task-Test_run-02_bold.nii"
    with pytest.raises(DataError, match="content has not been fetched") as err:
        check_present(bold, "raw BOLD run")
    command = str(err.value).split("Fetch it with:\n")[1].splitlines()[0].strip()
    assert command == f"datalad get -d {src.bids_root} {bold}"
    run = subprocess.run(command, shell=True, cwd=tmp_path, env=tools.environment(), capture_output=True, text=True,
                         timeout=300)
    out = run.stdout + run.stderr
    assert run.returncode != 0 and "not available" in out, out     # the content is nowhere: the offline failure
    assert "not under" not in out and "does not exist" not in out, out


def test_fetching_again_changes_nothing(mirror, mirror_data, mirror_url, tmp_path):
    heads = {p.name: _head(p) for p in mirror_data.iterdir()}
    sha = json.loads((mirror / "index.json").read_text())["gtzan_sha256"]
    for args in fetch_commands(mirror_url, mirror_data, sha):
        run = banlib_cli(*args, cwd=tmp_path)
        assert run.returncode == 0, run.stderr
        assert "downloaded" not in run.stderr and "cloned" not in run.stderr, run.stderr
    assert {p.name: _head(p) for p in mirror_data.iterdir()} == heads
    assert sorted(heads) == ["ds003720", "ds003720-derivatives", "gtzan"]


def test_an_interrupted_fetch_resumes_without_downloading_again(mirror_url, tmp_path, monkeypatch):
    url = f"{mirror_url}/zenodo/records/8275363.json"
    real, done = fetch._download, []

    def interrupted(work, target, source):
        if len(done) == 3:
            raise KeyboardInterrupt
        real(work, target, source)
        done.append(target.name)

    monkeypatch.setattr(fetch, "_download", interrupted)
    with pytest.raises(KeyboardInterrupt):
        fetch.fetch_derivatives(tmp_path / "data", ["sub-004"], url=url)
    work = tmp_path / "data" / "ds003720-derivatives.partial"
    assert work.is_dir() and not (tmp_path / "data" / "ds003720-derivatives").exists()
    first, again = list(done), []
    monkeypatch.setattr(fetch, "_download", lambda w, t, s: (again.append(t.name), real(w, t, s)))
    ds = fetch.fetch_derivatives(tmp_path / "data", ["sub-004"], url=url)
    assert len(first) == 3 and not set(first) & set(again) and len(again) == 11 - 3
    for name in first:
        assert hashlib.md5((ds / name).read_bytes()).hexdigest() == fetch.fetch_record(ds)["files"][name]["md5"]


def test_the_mirror_never_replaces_a_folder_it_did_not_make_and_replaces_its_own_only_with_force(tmp_path):
    from banlib.paths import NotOurs, stamp
    from banlib.twin.mirror import write_mirror

    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "index.html").write_text("the user's site")
    for force in (False, True):
        with pytest.raises(NotOurs, match="banlib did not make"):
            write_mirror(tmp_path / "site", data_dir=tmp_path / "data", force=force)
    stamp(tmp_path / "old-mirror", "mirror")
    with pytest.raises(NotOurs, match="pass --force"):
        write_mirror(tmp_path / "old-mirror", data_dir=tmp_path / "data")
    assert (tmp_path / "site" / "index.html").read_text() == "the user's site"
    assert not (tmp_path / "data").exists()                  # refused before the twin was made


def test_dropped_files_come_back_from_the_mirror_on_127_0_0_1(mirror_data, tmp_path):
    """git-annex refuses private addresses unless allowed: each dataset fetched from the mirror on 127.0.0.1 allows
    that one address, so a dropped response matrix (web remote) and a dropped GTZAN file (from its archive, itself
    on the web remote) come back with datalad get."""
    env = tools.environment()
    files = [mirror_data / "ds003720-derivatives" / "sub-005_Resp_Test_Mean.npy",
             sorted((mirror_data / "gtzan" / "Data" / "genres_original" / "rock").glob("rock.*.wav"))[0]]
    for path in files:
        ds = path.parents[0] if path.parent.name == "ds003720-derivatives" else mirror_data / "gtzan"
        allowed = subprocess.run(["git", "-C", str(ds), "config", "annex.security.allowed-ip-addresses"],
                                 capture_output=True, text=True).stdout.strip()
        assert allowed == "127.0.0.1"
        before = hashlib.md5(path.read_bytes()).hexdigest()
        subprocess.run(["datalad", "drop", "-d", str(ds), str(path)], cwd=tmp_path, env=env, check=True,
                       capture_output=True)
        assert not path.exists()
        got = subprocess.run(["datalad", "get", "-d", str(ds), str(path)], cwd=tmp_path, env=env, capture_output=True,
                             text=True, timeout=600)
        assert got.returncode == 0, got.stdout + got.stderr
        assert hashlib.md5(path.read_bytes()).hexdigest() == before
