"""``banlib mirror``: an offline stand-in for the real delivery, generated from the twin.

The real route reads three things from three hosts; the mirror writes all three into one folder
that ``python -m http.server`` can serve, so that ``banlib fetch`` runs against it exactly as
against the real hosts::

    ds003720/                     DataLad dataset shaped like OpenNeuro ds003720, tag 1.0.1: events
                                  (with the real quirks), bold.json, T1w.json; the raw BOLD .nii and
                                  T1w .nii as annexed files with the real MD5E keys and sizes and no
                                  content anywhere (a `datalad get` fails as it would offline);
                                  clonable over plain HTTP (git update-server-info)
    zenodo/records/8275363.json   a records-API answer: keys, sizes, md5: checksums, relative links
    zenodo/records/8275363/files/ sub-00N_Resp_{Training,Test,Test_Mean}.npy stored voxels x TRs
                                  (as the real files most likely are) and the stimulus-generation
                                  .mat files
    kaggle/archive.zip            GTZAN in the Kaggle layout (Data/genres_original/...), with the
                                  truncated jazz.00054.wav
    index.json, README.md         the paths above, the archive's sha256 and the fetch commands

Exactly what the real data lack stays out: no voxel table, no listener choices, no planted truth.
"""
from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import zipfile
from pathlib import Path

import numpy as np

from .. import __version__, tools
from ..config import OPENNEURO_VERSION, ZENODO_RECORD, check_seed
from ..data.audio import gtzan_files
from ..data.dataset import RESPONSE_KINDS, DataSource
from ..data.fetch import remove_tree
from ..data.stimuli import STIMULUS_FILES
from ..paths import check_out, check_removable, output_lock, stamp

#: The raw files of ds003720 v1.0.1 with their sizes and MD5E keys, as a real clone lists them
#: (the .nii rows of shared/ds003720-metadata/annexed-files.tsv, shipped with banlib).
ANNEXED_RAW = Path(__file__).with_name("ds003720_annexed_raw.tsv")
ZIP_TIME = (2020, 1, 1, 0, 0, 0)
RECORD_JSON = f"zenodo/records/{ZENODO_RECORD}.json"
CHANGES = ("1.0.1 2023-08-23\n  - Added an external link containing preprocessed data and stimuli generation code\n"
           "1.0.0 2021-07-14\n  - First version uploading\n")


def _git_env() -> dict:
    env = tools.environment()
    for k, v in (("GIT_AUTHOR_NAME", "banlib mirror"), ("GIT_AUTHOR_EMAIL", "mirror@banlib.invalid")):
        env.setdefault(k, v)
        env.setdefault(k.replace("AUTHOR", "COMMITTER"), v)
    return env


def _run(args, cwd: Path, stdin: str | None = None) -> str:
    proc = subprocess.run([str(a) for a in args], cwd=cwd, env=_git_env(), input=stdin, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, args))} failed in {cwd}:\n{proc.stderr[-2000:]}")
    return proc.stdout


def annexed_keys(subjects) -> list[tuple[str, str]]:
    """``(path, MD5E key)`` of the raw BOLD and T1w files of ``subjects`` in ds003720."""
    rows = [line.split("\t") for line in ANNEXED_RAW.read_text().splitlines()[1:] if line.strip()]
    return [(path, key) for path, _size, key in rows
            if path.startswith(tuple(f"{s}/" for s in subjects)) and path.endswith(".nii")]


def write_openneuro(root: Path, twin: DataSource) -> Path:
    """The ds003720-shaped DataLad dataset at ``root`` (see the module docstring)."""
    root.mkdir(parents=True)
    _run(["datalad", "create", "--force", "-c", "text2git", root], cwd=root.parent)
    subjects = twin.subjects()
    desc = {"Name": "Music Genre fMRI Dataset (offline mirror made by banlib from its synthetic twin)",
            "BIDSVersion": "1.4.0", "License": "CC0", "Authors": ["Tomoya Nakai", "Naoko Koide-Majima", "Shinji Nishimoto"],
            "DatasetDOI": f"doi:10.18112/openneuro.ds003720.v{OPENNEURO_VERSION}",
            "GeneratedBy": [{"Name": "banlib mirror", "Version": __version__}]}
    (root / "dataset_description.json").write_text(json.dumps(desc, indent=4) + "\n")
    (root / "CHANGES").write_text(CHANGES)
    (root / "README").write_text(
        "Offline mirror of OpenNeuro ds003720 written by `banlib mirror` from banlib's synthetic twin.\n"
        "Same layout, file names, events (with their quirks) and annexed raw files (real keys, no content)\n"
        "as the real dataset; nothing here is scanner data.\n")
    for sub in subjects:
        for folder in ("func", "anat"):
            src, dst = twin.bids_root / sub / folder, root / sub / folder
            dst.mkdir(parents=True)
            for f in sorted(src.iterdir()):
                if f.suffix in (".tsv", ".json"):
                    shutil.copyfile(f, dst / f.name)
    pairs = annexed_keys(subjects)
    _run(["git", "annex", "fromkey", "--force"], cwd=root, stdin="".join(f"{k} {p}\n" for p, k in pairs))
    _run(["datalad", "save", "-d", root, "-m", f"ds003720 {OPENNEURO_VERSION} (banlib mirror of the twin)"], cwd=root)
    _run(["git", "tag", OPENNEURO_VERSION], cwd=root)
    _run(["git", "update-server-info"], cwd=root)
    return root


def _save_npy(path: Path, array: np.ndarray) -> None:
    with open(path, "wb") as f:
        np.lib.format.write_array(f, np.ascontiguousarray(array, np.float32), allow_pickle=False)


def _md5(path: Path) -> str:
    h = hashlib.md5()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 22), b""):
            h.update(chunk)
    return h.hexdigest()


def write_record(root: Path, twin: DataSource) -> Path:
    """The records-API JSON and its files; returns the JSON's path."""
    files_dir = root / "records" / ZENODO_RECORD / "files"
    files_dir.mkdir(parents=True)
    from ..data.dataset import load_responses

    names = []
    for sub in twin.subjects():
        for kind in RESPONSE_KINDS:
            name = f"{sub}_Resp_{kind}.npy"
            _save_npy(files_dir / name, np.asarray(load_responses(twin, sub, kind)).T)     # voxels x TRs
            names.append(name)
    for name in STIMULUS_FILES:
        shutil.copyfile(twin.stimulus_file(name), files_dir / name)
        names.append(name)
    (files_dir / "README.md").write_text("Mirror of Zenodo record 8275363 written by `banlib mirror` from the "
                                         "synthetic twin: not the real derivatives.\n")
    names.append("README.md")
    record = {"id": int(ZENODO_RECORD), "recid": ZENODO_RECORD, "doi": f"10.5281/zenodo.{ZENODO_RECORD}",
              "metadata": {"title": "Music genre fMRI dataset: preprocessed data (banlib mirror of the twin)",
                           "description": "Offline mirror generated by banlib; not the real data."},
              "links": {"self": f"{ZENODO_RECORD}.json"},
              "files": [{"key": n, "size": (files_dir / n).stat().st_size, "checksum": f"md5:{_md5(files_dir / n)}",
                         "links": {"self": f"{ZENODO_RECORD}/files/{n}"}} for n in names]}
    path = root / "records" / f"{ZENODO_RECORD}.json"
    path.write_text(json.dumps(record, indent=2) + "\n")
    return path


def write_kaggle_zip(path: Path, twin: DataSource) -> str:
    """GTZAN as Kaggle ships it (``Data/genres_original/<genre>/<genre>.000NN.wav``); returns its sha256."""
    path.parent.mkdir(parents=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        for f in gtzan_files(twin.gtzan_root):
            info = zipfile.ZipInfo(f"Data/genres_original/{f.parent.name}/{f.name}", ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, f.read_bytes())
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 22), b""):
            h.update(chunk)
    return h.hexdigest()


def twin_fingerprint(twin: DataSource) -> str:
    """sha256 of the twin's manifest and stimulus files: a mirror made from another twin differs."""
    h = hashlib.sha256((twin.truth_root / "twin.json").read_bytes())
    for name in STIMULUS_FILES:
        h.update(twin.stimulus_file(name).read_bytes())
    return h.hexdigest()


def fetch_commands(base: str, dest: str, sha256: str) -> list[str]:
    """The three ``banlib fetch`` commands for a mirror served at ``base``."""
    return [f"banlib fetch openneuro --dest {dest} --url {base}/ds003720",
            f"banlib fetch derivatives --dest {dest} --url {base}/{RECORD_JSON}",
            f"banlib fetch gtzan --dest {dest} --url {base}/kaggle/archive.zip --sha256 {sha256}"]


def write_mirror(out: str | Path, profile: str = "quick", seed: int = 0, data_dir: str | Path = "data",
                 force: bool = False) -> Path:
    """Write the mirror of the twin (``profile``, ``seed``; made under ``data_dir`` if missing) to ``out``.

    ``out`` is checked before any work: absent or an empty folder, or (with ``force``) a mirror banlib wrote, which
    is replaced; a file or any other folder is an error (:func:`banlib.paths.check_out`). Written to
    ``<out>.partial`` (stamped as banlib's) and renamed when complete, with ``out`` locked meanwhile. Returns
    ``out``.
    """
    from . import open_or_make

    out = Path(out).absolute()
    check_seed(seed)
    check_out(out, "mirror", force=force)
    with output_lock(out, f"banlib mirror --out {out}"):
        state = check_out(out, "mirror", force=force)
        twin = open_or_make("twin", data_dir, profile, seed)
        tmp = out.with_name(out.name + ".partial")
        check_removable(tmp, "mirror", fix=f"move it away, or delete it yourself (rm -rf {tmp})")
        remove_tree(tmp)
        tmp.mkdir(parents=True)
        stamp(tmp, "mirror")
        write_openneuro(tmp / "ds003720", twin)
        write_record(tmp / "zenodo", twin)
        sha = write_kaggle_zip(tmp / "kaggle" / "archive.zip", twin)
        index = {"made_by": f"banlib {__version__} mirror",
                 "twin": {"profile": profile, "seed": seed, "fingerprint": twin_fingerprint(twin)},
                 "openneuro": "ds003720", "openneuro_version": OPENNEURO_VERSION, "derivatives": RECORD_JSON,
                 "gtzan": "kaggle/archive.zip", "gtzan_sha256": sha}
        (tmp / "index.json").write_text(json.dumps(index, indent=2) + "\n")
        cmds = "\n".join(fetch_commands("http://127.0.0.1:8000", "data-mirror", sha))
        (tmp / "README.md").write_text(
            "# Offline mirror of the real delivery (made by `banlib mirror` from the synthetic twin)\n\n"
            "Serve it on this machine only (127.0.0.1) and fetch from it:\n\n"
            f"    python -m http.server 8000 --bind 127.0.0.1 --directory {out}\n"
            + "".join(f"    {c}\n" for c in cmds.splitlines())
            + "\nA mirror on 127.0.0.1 is a private address that git-annex refuses by default; `banlib fetch` allows "
              "that one address in each dataset it fetches from it (annex.security.allowed-ip-addresses), so a "
              "dropped file can be fetched again with `datalad get`.\n"
            + "\nNot real data: no voxel table, no listener choices, no planted truth.\n")
        if state == "replace":
            remove_tree(out)
        elif out.exists():
            out.rmdir()
        tmp.rename(out)
    print(f"mirror written to {out}\n" + cmds.replace("data-mirror", "DATA_DIR"))
    return out
