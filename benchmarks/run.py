"""Benchmarks (run on demand with `make bench`; never part of `make test`).

    python benchmarks/run.py [roi] [train] [twin-full] [orientation]

Writes JSON to benchmarks/out/ and prints Markdown rows for benchmarks/RESULTS.md.
"""
from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
V_FULL = 64_700          # sub-003, the largest real subject
T_TRAIN = 4_800


def _child(code: str) -> dict:
    """Run ``code`` in a fresh interpreter; it prints one JSON line. Adds peak RSS (GB)."""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    out["peak_rss_gb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 2**20
    return out


def make_full_matrix(path: Path) -> Path:
    """A full-size Resp_Training stand-in (4,800 x 64,700 float32, 1.24 GB) with 2 % genre voxels."""
    if path.exists():
        return path
    from banlib.config import GENRES
    from banlib.encoding.delays import design_matrix
    from banlib.features.labels import genre_onehot

    g = np.random.default_rng(0)
    genres = np.array(GENRES)[g.integers(0, 10, 540)]
    grid = np.stack([np.repeat(g.permutation(540)[:41], 10) for _ in range(12)])
    X = design_matrix(genre_onehot(genres), grid)
    np.save(path.with_name("X.npy"), X)
    Y = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(T_TRAIN, V_FULL))
    for lo in range(0, V_FULL, 8192):
        hi = min(lo + 8192, V_FULL)
        block = g.standard_normal((T_TRAIN, hi - lo), dtype=np.float32)
        active = g.random(hi - lo) < 0.02
        block[:, active] += 0.3 * (X @ g.normal(size=(X.shape[1], int(active.sum())))).astype(np.float32)
        Y[:, lo:hi] = block
    Y.flush()
    return path


def matmul_gflops() -> float:
    a = np.random.default_rng(0).standard_normal((4096, 4096), dtype=np.float32)
    a @ a
    t = time.perf_counter()
    for _ in range(3):
        a @ a
    return 3 * 2 * 4096 ** 3 / (time.perf_counter() - t) / 1e9


def bench_roi() -> dict:
    OUT.mkdir(exist_ok=True)
    ypath = make_full_matrix(OUT / "Y_full.npy")
    setup = (f"import json, time, numpy as np; X = np.load('{OUT / 'X.npy'}'); "
             f"Y = np.load('{ypath}', mmap_mode='r', allow_pickle=False); "
             "blocks = np.repeat(np.arange(480), 10);")
    ours = _child(setup + "from banlib.analyses.roi import ROISelector; t = time.perf_counter(); "
                  "s = ROISelector(n_repeats=100, seed=0).fit(X, Y, blocks); "
                  "print(json.dumps({'wall_s': time.perf_counter() - t, 'roi': int(s.mask_.sum())}))")
    # per-voxel scikit-learn loop on a slice: 3 repetitions x 20 voxels, extrapolated
    loop = _child(setup + (
        "from sklearn.linear_model import Ridge; from banlib.encoding.resampling import block_splits; from banlib.encoding.stats import pearson_columns; "
        "m = block_splits(480, 3, 0.75, 0); t = time.perf_counter()\n"
        "for r in range(3):\n"
        "    tr = m[r][blocks]\n"
        "    for v in range(20):\n"
        "        y = np.asarray(Y[:, v]); mdl = Ridge(alpha=1.0).fit(X[tr], y[tr])\n"
        "        pearson_columns(mdl.predict(X[~tr])[:, None], y[~tr][:, None])\n"
        "print(json.dumps({'slice_s': time.perf_counter() - t}))"))
    loop_full_s = loop["slice_s"] * (V_FULL / 20) * (100 / 3)
    # himalaya RidgeCV (numpy backend, one alpha, all voxels at once), 1 repetition x 100
    him = _child(setup + (
        "from himalaya.ridge import RidgeCV; from banlib.encoding.resampling import block_splits; from banlib.encoding.stats import pearson_columns; "
        "m = block_splits(480, 1, 0.75, 0); tr = m[0][blocks]; t = time.perf_counter(); "
        "Ytr = np.asarray(Y[tr]); mdl = RidgeCV(alphas=[1.0], cv=5).fit(X[tr], Ytr); "
        "pearson_columns(mdl.predict(X[~tr]), np.asarray(Y[~tr])); "
        "print(json.dumps({'one_rep_s': time.perf_counter() - t}))"))
    P, B, R = 31, 480, 100
    flops = 2 * V_FULL * (T_TRAIN * P + R * B * P + 2 * R * P * P)
    gflops = matmul_gflops()
    res = {"shape": [T_TRAIN, V_FULL], "repeats": R, "wall_s": ours["wall_s"], "peak_rss_gb": ours["peak_rss_gb"],
           "sklearn_loop_extrapolated_s": loop_full_s, "speedup_vs_sklearn_loop": loop_full_s / ours["wall_s"],
           "himalaya_ridgecv_100_reps_s": 100 * him["one_rep_s"], "speedup_vs_himalaya": 100 * him["one_rep_s"] / ours["wall_s"],
           "flops": flops, "matmul_gflops": gflops, "ideal_s": flops / gflops / 1e9,
           "fraction_of_matmul_limit": flops / gflops / 1e9 / ours["wall_s"]}
    return res


def bench_orientation() -> dict:
    """Full-size Resp_Training (4,800 x 64,700) read through load_responses stored both ways: TRs x
    voxels, and voxels x TRs (as the Zenodo files most likely are; handed out as the transposed view
    of the memory map). Times a voxel-quality scan and the ROI selection (both read column chunks),
    each after one warm-up scan so that both files are in the page cache."""
    tv = make_full_matrix(OUT / "Y_full.npy")
    vt = OUT / "Y_full_VT.npy"
    if not vt.exists():
        Y = np.load(tv, mmap_mode="r")
        Yv = np.lib.format.open_memmap(vt.with_suffix(".tmp.npy"), mode="w+", dtype=np.float32, shape=(V_FULL, T_TRAIN))
        for lo in range(0, V_FULL, 8192):
            Yv[lo:lo + 8192] = np.asarray(Y[:, lo:lo + 8192]).T
        Yv.flush()
        del Yv
        vt.with_suffix(".tmp.npy").rename(vt)
    res = {}
    for name, path in (("trs_x_voxels", tv), ("voxels_x_trs", vt)):
        folder = OUT / f"orientation-{name}"
        folder.mkdir(exist_ok=True)
        link = folder / "sub-003_Resp_Training.npy"
        if not link.is_symlink():
            link.symlink_to(path)
        code = (f"import json, time, numpy as np; from pathlib import Path; "
                f"from banlib.data.dataset import DataSource, load_responses, response_orientation, voxel_quality; "
                f"from banlib.analyses.roi import ROISelector; d = Path('{folder}'); "
                f"src = DataSource('openneuro', d, d, d); Y = load_responses(src, 'sub-003', 'Training'); "
                f"X = np.load('{OUT / 'X.npy'}'); blocks = np.repeat(np.arange(480), 10); voxel_quality(Y); "
                f"t = time.perf_counter(); q = voxel_quality(Y); scan = time.perf_counter() - t; "
                f"t = time.perf_counter(); s = ROISelector(n_repeats=100, seed=0).fit(X, Y, blocks); "
                f"roi = time.perf_counter() - t; "
                f"print(json.dumps({{'orientation': response_orientation(src, 'sub-003', 'Training'), "
                f"'shape': list(Y.shape), 'scan_s': scan, 'roi_s': roi, 'roi': int(s.mask_.sum())}}))")
        res[name] = _child(code)
    return res


def bench_train() -> dict:
    """Training throughput (clips/s, forward + backward, batch 32 of 3-s crops) per network."""
    import torch

    from banlib.models import MODEL_SPECS, build_model

    torch.manual_seed(0)
    out = {}
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    for device in devices:
        for widths in ((16, 32, 64, 128), (64, 128, 256, 512)):
            for name in MODEL_SPECS:
                model = build_model(name, widths=widths).to(device)
                opt = torch.optim.Adam(model.parameters())
                x = torch.randn(32, 1, 64, 128, device=device)
                y = torch.randint(0, 10, (32,), device=device)
                n = 2 if device == "cpu" and widths[0] == 64 else 5
                for i in range(n + 1):
                    if i == 1:
                        if device == "cuda":
                            torch.cuda.synchronize()
                        t = time.perf_counter()
                    loss = torch.nn.functional.cross_entropy(model(x), y)
                    opt.zero_grad()
                    loss.backward()
                    opt.step()
                if device == "cuda":
                    torch.cuda.synchronize()
                out[f"{device} {name} {widths}"] = 32 * n / (time.perf_counter() - t)
    return out


def bench_twin_full() -> dict:
    import shutil

    target = OUT / "twin-full"
    shutil.rmtree(target, ignore_errors=True)
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "banlib", "twin", "--profile", "full", "--out", str(target)], check=True)
    wall = time.perf_counter() - t
    # regular files only: annexed files are symlinks into .git/annex, counted once there
    size = sum(p.lstat().st_size for p in target.rglob("*") if p.is_file() and not p.is_symlink())
    return {"wall_s": wall, "size_gb": size / 1e9}


if __name__ == "__main__":
    which = sys.argv[1:] or ["roi", "train"]
    OUT.mkdir(exist_ok=True)
    env = {"nproc": os.cpu_count()}
    for name in which:
        result = {"roi": bench_roi, "train": bench_train, "twin-full": bench_twin_full,
                  "orientation": bench_orientation}[name]()
        result["machine"] = env
        (OUT / f"{name}.json").write_text(json.dumps(result, indent=2))
        print(f"## {name}\n" + "\n".join(f"| {k} | {v:.4g} |" if isinstance(v, float) else f"| {k} | {v} |"
                                       for k, v in result.items()))
