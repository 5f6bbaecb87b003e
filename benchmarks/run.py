"""Benchmarks (run on demand with `make bench`; never part of `make test`).

    python benchmarks/run.py [roi] [ridge] [train] [twin-full] [orientation] [calibration] [calibration-full]
    python benchmarks/run.py train --device cuda          # GPU throughput, when a GPU is visible
    python benchmarks/run.py full-analyses --twin PATH    # chapters 02, 04, 05 on the full-profile twin
    python benchmarks/run.py coordinates --twin PATH      # raw-BOLD coordinates: quick twin route + one real-size run

``calibration``: quick twins of seeds 0, 1, 2 (generated under benchmarks/out/), each measured against
every calibration target; ``calibration-full``: the full-profile twin of seed 0 (~25 min, 19 GB, ~10 GB RAM;
needs ``BENCH_FULL_NETWORK=1`` to include the full-profile BAN, hours on CPU). Set ``BENCH_SEEDS`` to
change the seeds (e.g. ``BENCH_SEEDS=0,1``).

Writes JSON to benchmarks/out/ and prints Markdown rows for benchmarks/RESULTS.md. Every heavy step runs in
a fresh child process, which reports its own wall time, peak RSS (``getrusage(RUSAGE_SELF).ru_maxrss``:
the kernel's high-water mark, memory-mapped response pages that were read included) and bytes written to
storage (``write_bytes`` of ``/proc/self/io``).
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
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
    from banlib.encoding.delays import Delayer
    from banlib.features.labels import genre_onehot

    g = np.random.default_rng(0)
    genres = np.array(GENRES)[g.integers(0, 10, 540)]
    grid = np.stack([np.repeat(g.permutation(540)[:41], 10) for _ in range(12)])
    X = Delayer().design_matrix(genre_onehot(genres), grid)
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


def commit() -> str:
    try:
        return subprocess.run(["git", "-C", str(HERE), "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def machine() -> dict:
    return {"nproc": os.cpu_count(), "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
            "load_average_1min": os.getloadavg()[0], "commit": commit()}


# --------------------------------------------------------------------------- child processes


def _child_run(func: str, **kwargs) -> dict:
    """Run ``func(**kwargs)`` of this file in a fresh interpreter; it returns a dict, to which the child
    adds its own wall time, peak RSS and bytes written. A child that fails raises with its stderr."""
    code = (f"import sys, json; sys.path.insert(0, {str(HERE)!r}); import run; "
            f"print('\\n' + json.dumps(run._measured({func!r}, {json.dumps(kwargs)!r})))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"benchmark child {func} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _write_bytes() -> int | None:
    try:
        for line in Path("/proc/self/io").read_text().splitlines():
            if line.startswith("write_bytes:"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


def _measured(func: str, kwargs_json: str) -> dict:
    """In the child: call ``func``, then add wall time, peak RSS (GB) and bytes written to storage."""
    kwargs = json.loads(kwargs_json)
    w0, t0 = _write_bytes(), time.perf_counter()
    out = globals()[func](**kwargs)
    wall = time.perf_counter() - t0
    w1 = _write_bytes()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    out.update(wall_s=wall, cpu_s=usage.ru_utime + usage.ru_stime, peak_rss_gb=usage.ru_maxrss / 2**20,
               disk_written_gb=None if w0 is None else (w1 - w0) / 1e9, load_average_1min=os.getloadavg()[0])
    return out


def gemm_gflops(dtype=np.float32, n: int = 4096, repeats: int = 3) -> float:
    """Measured GEMM speed (GFLOP/s) of an n x n product with the current BLAS threads."""
    a = np.random.default_rng(0).standard_normal((n, n)).astype(dtype)
    a @ a
    t = time.perf_counter()
    for _ in range(repeats):
        a @ a
    return repeats * 2 * n ** 3 / (time.perf_counter() - t) / 1e9


# --------------------------------------------------------------------------- ridge (issue 15)


def ridge_flops(n_rows: int, p: int, V: int, n_folds: int, n_alphas: int, direct_alphas: int) -> float:
    """Floating-point operations of RidgeCVEncoder.fit (products only; element-wise work not counted).

    X_g'Y_g for every group: 2 n p V. Per fold: two rotations E'(.) 2 * 2 p^2 V; covariances for all
    alphas 2 A p V; prediction variances [K; N] C 2 * 2p * p V, then (A x 2p) @ (2p x V) 2 * A * 2p * V, and
    2 p^2 V per alpha computed directly (``direct_alphas`` summed over folds). Refit: 2 * 2 p^2 V.
    """
    per_fold = 4 * p * p * V + 2 * n_alphas * p * V + 4 * p * p * V + 4 * n_alphas * p * V
    return 2 * n_rows * p * V + n_folds * per_fold + direct_alphas * 2 * p * p * V + 4 * p * p * V


def _ridge_full(ypath: str, p: int, reference_voxels: int) -> dict:
    from banlib.encoding.ridge import RidgeCVEncoder
    from banlib.encoding.voxelwise import DEFAULT_ALPHAS

    sys.path.insert(0, str(HERE.parent / "tests"))
    from test_ridge import reference_ridgecv

    Y = np.load(ypath, mmap_mode="r", allow_pickle=False)
    X = _ridge_design(p)
    groups = np.repeat(np.arange(12), 400)
    gf64 = gemm_gflops(np.float64)
    t, c = time.perf_counter(), time.process_time()
    model = RidgeCVEncoder(DEFAULT_ALPHAS).fit(X, Y, groups)
    wall, cpu = time.perf_counter() - t, time.process_time() - c
    gf64_after = gemm_gflops(np.float64)
    from banlib.encoding.ridge import _Folds

    direct = sum(int((~fd["var"].fast).sum()) for fd in _Folds(np.asarray(X, np.float64), groups,
                                                               np.asarray(DEFAULT_ALPHAS)).fold)
    flops = ridge_flops(len(X), p, Y.shape[1], 12, len(DEFAULT_ALPHAS), direct)
    # the direct implementation on the first voxels: its time per voxel and the largest difference
    sub = np.asarray(Y[:, :reference_voxels])
    t = time.perf_counter()
    ref_scores, ref_best, _, _ = reference_ridgecv(X, sub, groups, DEFAULT_ALPHAS)
    ref_s = time.perf_counter() - t
    gf = (gf64 + gf64_after) / 2
    return {"shape": list(Y.shape), "features": p, "alphas": len(DEFAULT_ALPHAS), "folds": 12, "fit_s": wall, "fit_cpu_s": cpu,
            "flops": flops, "alphas_computed_directly_over_folds": direct,
            "gemm_float64_gflops_before": gf64, "gemm_float64_gflops_after": gf64_after,
            "ideal_s": flops / gf / 1e9, "fraction_of_matmul_bound": flops / gf / 1e9 / wall,
            "reference_voxels": reference_voxels, "reference_s": ref_s,
            "reference_extrapolated_s": ref_s * Y.shape[1] / reference_voxels,
            "speedup_vs_reference": ref_s * Y.shape[1] / reference_voxels / wall,
            "max_abs_diff_cv_scores": float(np.abs(model.cv_scores_[:, :reference_voxels] - ref_scores).max()),
            "same_best_alpha_fraction": float((model.best_alpha_[:reference_voxels] == ref_best).mean())}


def _ridge_design(p: int) -> np.ndarray:
    """A standardised design of ``p`` delayed features (p / 3 per-clip features x 3 FIR delays) on the
    training runs' grid, like chapter 05's MFCC model: smooth random per-clip features."""
    from banlib.encoding.delays import Delayer

    g = np.random.default_rng(1)
    base = g.standard_normal((540, 10, p // 3)).cumsum(axis=1).astype(np.float32)   # smooth within a clip
    grid = np.stack([np.repeat(g.permutation(540)[:41], 10) for _ in range(12)])
    X = Delayer().design_matrix(base, grid)
    return ((X - X.mean(0)) / X.std(0)).astype(np.float32)


def bench_ridge() -> dict:
    """One feature space (96 delayed features) for a full-size subject (4,800 x 64,700, memory-mapped)."""
    OUT.mkdir(exist_ok=True)
    ypath = make_full_matrix(OUT / "Y_full.npy")
    return _child_run("_ridge_full", ypath=str(ypath), p=96, reference_voxels=512)


# --------------------------------------------------------------------------- training (issue 15)

# Dense bf16 tensor-core peaks (TFLOP/s) from the vendors' data sheets, by device-name substring.
BF16_PEAK_TFLOPS = {"H200": 989.0, "H100 SXM": 989.0, "H100 80GB HBM3": 989.0, "H100 PCIe": 756.0,
                    "H100 NVL": 835.0, "A100": 312.0, "L40S": 362.0, "A10": 125.0}


def _bf16_peak(name: str) -> float | None:
    for key, value in BF16_PEAK_TFLOPS.items():
        if key in name:
            return value
    return None


def _flops_per_clip(model, x, y) -> tuple[float, float]:
    """(training, forward) FLOPs per clip: forward + backward counted by torch's FlopCounterMode."""
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    with FlopCounterMode(display=False) as fc:
        torch.nn.functional.cross_entropy(model(x), y).backward()
    total = fc.get_total_flops()
    with torch.no_grad(), FlopCounterMode(display=False) as fc:
        model(x)
    model.zero_grad(set_to_none=True)
    return total / len(x), fc.get_total_flops() / len(x)


GRID = [(b, p, t) for b in (1, 2) for p in (1, 2) for t in (1, 2, 4)]     # chapter 03's full-profile grid


def _throughput(name: str, widths, passes, device: str, batches: int) -> dict:
    """Clips/s of one network: training steps (forward + backward + Adam) and forward passes, batch 32 of
    64 x 128 log-mel crops, after a warm-up; bf16 autocast and channels_last on CUDA as in training."""
    import contextlib

    import torch

    from banlib.models import build_model

    cuda = device == "cuda"
    model = build_model(name, widths=tuple(widths), passes=passes).to(device)
    x = torch.randn(32, 1, 64, 128, device=device)
    y = torch.randint(0, 10, (32,), device=device)
    flops_train, flops_fwd = _flops_per_clip(model, x, y)
    if cuda:
        model = model.to(memory_format=torch.channels_last)
        x = x.contiguous(memory_format=torch.channels_last)
    autocast = torch.autocast("cuda", dtype=torch.bfloat16) if cuda else contextlib.nullcontext()
    opt = torch.optim.Adam(model.parameters())

    def sync():
        if cuda:
            torch.cuda.synchronize()

    def step():
        with autocast:
            logits = model(x)
        loss = torch.nn.functional.cross_entropy(logits.float(), y)
        opt.zero_grad()
        loss.backward()
        opt.step()

    for _ in range(5 if cuda else 1):                  # warm-up (cuDNN autotuning on CUDA)
        step()
    sync()
    t, c = time.perf_counter(), time.process_time()
    for _ in range(batches):
        step()
    sync()
    train_cps = 32 * batches / (time.perf_counter() - t)
    train_cpu = (time.process_time() - c) / (32 * batches)
    model.eval()
    with torch.no_grad(), autocast:
        model(x)
        sync()
        t, c = time.perf_counter(), time.process_time()
        for _ in range(batches):
            model(x)
        sync()
    fwd_cps = 32 * batches / (time.perf_counter() - t)
    fwd_cpu = (time.process_time() - c) / (32 * batches)
    return {"network": name, "widths": list(widths), "passes": list(model.passes),
            "parameters": sum(p.numel() for p in model.parameters()),
            "train_clips_per_s": train_cps, "forward_clips_per_s": fwd_cps, "train_cpu_s_per_clip": train_cpu,
            "forward_cpu_s_per_clip": fwd_cpu,
            "train_gflop_per_clip": flops_train / 1e9, "forward_gflop_per_clip": flops_fwd / 1e9,
            "achieved_train_tflops": train_cps * flops_train / 1e12}


def bench_train(device: str = "cpu") -> dict:
    """Training throughput per network and widths, FLOPs per clip (torch's FlopCounterMode), the
    recurrence grid's structures at the quick widths, and the projected chapter 03 at the full profile.
    On CUDA also the fraction of the GPU's dense bf16 peak. Nothing is written for an absent device."""
    import torch

    from banlib.config import QUICK_WIDTHS, get_profile
    from banlib.models import MODEL_SPECS

    if device == "cuda" and not torch.cuda.is_available():
        return {"device": "cuda", "available": False,
                "note": "no CUDA device visible: nothing measured (never fill this in by hand)"}
    torch.manual_seed(0)
    out = {"device": device, "available": True, "torch_threads": torch.get_num_threads()}
    cuda = device == "cuda"
    if cuda:
        out["gpu"] = torch.cuda.get_device_name(0)
        out["bf16_peak_tflops"] = _bf16_peak(out["gpu"])
    else:
        out["gemm_float32_gflops"] = gemm_gflops(np.float32)
    full = tuple(get_profile("full").widths)
    rows = []
    for widths in (QUICK_WIDTHS, full):
        for name in MODEL_SPECS:
            batches = 30 if cuda else (2 if widths == full else 5)
            rows.append(_throughput(name, widths, None, device, batches))
    grid = [_throughput("BAN", QUICK_WIDTHS, passes, device, 30 if cuda else 3) for passes in GRID]
    for row in rows + grid:
        if cuda and out["bf16_peak_tflops"]:
            row["fraction_of_bf16_peak"] = row["achieved_train_tflops"] / out["bf16_peak_tflops"]
        elif not cuda:
            row["fraction_of_float32_gemm"] = row["achieved_train_tflops"] * 1e3 / out["gemm_float32_gflops"]
    out["rows"], out["grid_rows"] = rows, grid
    out["chapter03_full_projection"] = project_chapter03(rows, grid)
    return out


def project_chapter03(rows: list[dict], grid: list[dict], epochs: int | None = None) -> dict:
    """Projected wall time of chapter 03 at the full profile from measured throughputs: per network,
    epochs x (training tracks / training clips/s + held-out crops / forward clips/s), for BAN, the
    feedforward baseline and CORnet-S passes at full widths and the 12 recurrence-grid structures at
    the quick widths. A projection: data preparation, augmentation and the fMRI-clip evaluation are not
    included."""
    from banlib.config import GENRES, get_profile

    prof = get_profile("full")
    epochs = epochs or prof.train_epochs
    per_genre = 100 - 6                              # GTZAN tracks per genre minus the fMRI test tracks
    n_val = len(GENRES) * (per_genre // 10)          # prepare_data(split="random") holds out 10 % per genre
    n_train = len(GENRES) * per_genre - n_val
    val_crops = n_val * (int(30 * 22050 / 512) // 128)  # 30-s tracks cut into 128-frame crops
    full = list(prof.widths)

    def cost(r):
        return epochs * (n_train / r["train_clips_per_s"] + val_crops / r["forward_clips_per_s"])

    def cost_cpu(r, cores):
        # CPU seconds per clip spread over ``cores`` (perfect scaling): what the same work takes on
        # otherwise idle cores, when the measurement ran on a busy machine
        return epochs * (n_train * r["train_cpu_s_per_clip"] + val_crops * r["forward_cpu_s_per_clip"]) / cores

    main = {r["network"]: cost(r) for r in rows if r["widths"] == full}
    grid_s = sum(cost(r) for r in grid)
    cores = min(os.cpu_count() or 1, int(os.environ.get("OMP_NUM_THREADS", os.cpu_count() or 1)))
    idle = sum(cost_cpu(r, cores) for r in rows if r["widths"] == full) + sum(cost_cpu(r, cores) for r in grid)
    return {"epochs": epochs, "training_tracks": n_train, "held_out_crops_per_epoch": val_crops,
            "networks_s": main, "grid_quick_widths_s": grid_s, "total_s": sum(main.values()) + grid_s,
            "total_from_cpu_time_s": idle, "cores": cores,
            "note": "projection from measured clips/s (total_s) and from CPU seconds per clip spread over the "
                    "cores (total_from_cpu_time_s), not a measurement"}


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


# --------------------------------------------------------------------------- full analyses (issue 15)

NETWORKS = ("BAN", "feedforward", "CORnet-S passes")


def _open_twin(twin: str):
    """The twin at ``twin`` (any folder made by ``banlib twin --out``) as a DataSource."""
    from banlib.data.dataset import DataSource, stimuli_route

    root = Path(twin)
    manifest = root / "derivative" / "twin_truth" / "twin.json"
    if not manifest.exists():
        raise SystemExit(f"{root}: no twin here; make it with: banlib twin --profile full --out {root}")
    source = DataSource("twin", root, root / "derivative" / "preprocessed_data", root / "stimuli" / "gtzan",
                        root / "derivative" / "twin_truth", json.loads(manifest.read_text()))
    source.info["stimuli"] = stimuli_route(source)
    return source


def _book_features(twin: str, work: str, widths: list) -> dict:
    """Per book, once: the 540 stimuli's spectrograms, activations of the three networks (untrained, at
    ``widths``: the encoding cost does not depend on the weights), BAN's genre outputs and the MFCC
    features; saved to ``work`` for the chapter children."""
    import torch

    from banlib.analyses.pipeline import Pipeline
    from banlib.models import build_model
    from banlib.models.activations import area_activations, genre_outputs

    torch.manual_seed(0)
    source = _open_twin(twin)
    pipe = Pipeline(source, "full", 0, work, device="cpu")
    times = {}
    t = time.perf_counter()
    specs = pipe.stimulus_spectrograms((0.0, 1.0))
    specs = (specs - specs.mean()) / specs.std()
    times["spectrograms_s"] = time.perf_counter() - t
    feats = {}
    for name in NETWORKS:
        t = time.perf_counter()
        acts = area_activations(build_model(name, widths=tuple(widths)), specs)
        times[f"activations_{name}_s"] = time.perf_counter() - t
        feats.update({f"{name}/{a}": v for a, v in acts.items()})
    t = time.perf_counter()
    feats["genre_BAN"] = genre_outputs(build_model("BAN", widths=tuple(widths)), specs)
    times["genre_outputs_s"] = time.perf_counter() - t
    t = time.perf_counter()
    feats["mfcc"] = pipe.mfcc_features
    times["mfcc_s"] = time.perf_counter() - t
    np.savez(Path(work) / "features.npz", **feats)
    return {"times": times, "feature_shapes": {k: list(v.shape) for k, v in feats.items()}}


def _chapter(chapter: str, twin: str, work: str, subject: str) -> dict:
    """One chapter's per-subject work, as its notebook does it (through the book's Pipeline), writing
    what the notebook writes."""
    from banlib.analyses.pipeline import Pipeline

    pipe = Pipeline(_open_twin(twin), "full", 0, work, device="cpu")
    info = {"chapter": chapter, "subject": subject}
    design = pipe.design(subject)
    if chapter == "02":
        roi = pipe.roi(subject, recompute=True)
        info.update(roi_size=int(roi.mask.sum()), n_voxels=int(len(roi.mask)))
        return info
    with np.load(Path(work) / "features.npz", allow_pickle=False) as f:
        feats = {k: f[k] for k in f.files}
    mask = pipe.roi_mask(subject)
    if chapter == "04":
        from banlib.analyses.bas import cortical_scores
        from banlib.analyses.decoding import decode_subject

        t = time.perf_counter()
        decode_subject(pipe.source, design, mask)
        info["decoding_s"] = time.perf_counter() - t
        t = time.perf_counter()
        for name in NETWORKS:
            cortical_scores({a: feats[f"{name}/{a}"] for a in ("A1", "Belt", "PB", "T2T3")}, pipe.source, design, mask)
        info["cortical_roi_s"] = time.perf_counter() - t
        t = time.perf_counter()
        truth = pipe.voxel_table(subject).truth.to_numpy()       # the twin check: voxels by planted kind
        for kind in ("genre", "acoustic", "none"):
            cortical_scores({a: feats[f"BAN/{a}"] for a in ("A1", "T2T3")}, pipe.source, design, truth == kind)
        info["twin_check_s"] = time.perf_counter() - t
        info.update(roi_size=int(mask.sum()), none_voxels=int((truth == "none").sum()))
        return info
    if chapter == "05":
        from banlib.encoding.voxelwise import fit_and_score
        from banlib.features.labels import genre_onehot

        spaces = {"genre": genre_onehot(pipe.clips.genre), "MFCC": feats["mfcc"], "BAN": feats["genre_BAN"]}
        fits = {}
        for m, f in spaces.items():
            t = time.perf_counter()
            fits[m] = fit_and_score(pipe.source, design, f)
            info[f"fit_{m}_s"] = time.perf_counter() - t
        np.savez(Path(work) / "results" / f"05_r_{subject}.npz", **{m: f.r for m, f in fits.items()})
        info.update(n_voxels=int(len(fits["genre"].r)))
        return info
    raise ValueError(chapter)


def bench_full_analyses(twin: str, subjects=None, widths=(64, 128, 256, 512)) -> dict:
    """Chapters 02, 04 and 05 on the full-profile twin, per chapter and per subject, each in its own child."""
    from banlib.config import SUBJECTS

    work = OUT / "full-analyses"
    work.mkdir(parents=True, exist_ok=True)
    out = {"twin": twin, "networks": f"untrained, widths {list(widths)}", "book": None, "rows": []}
    out["book"] = _child_run("_book_features", twin=twin, work=str(work), widths=list(widths))
    for chapter in ("02", "04", "05"):
        for sub in subjects or SUBJECTS:
            row = _child_run("_chapter", chapter=chapter, twin=twin, work=str(work), subject=sub)
            print(json.dumps(row), flush=True)
            out["rows"].append(row)
    out["results_folder_bytes"] = sum(p.stat().st_size for p in (work / "results").rglob("*") if p.is_file())
    return out


def _coords_quick(twin: str, cache: str) -> dict:
    """Child: the whole coordinates route on the quick twin's raw subject, from an empty cache."""
    import pandas as pd

    from banlib.data import coordinates as co
    from banlib.data.dataset import open_source

    source = open_source("twin", Path(twin).parent.parent, "quick", 0)
    planted = pd.read_csv(Path(source.truth_root) / "sub-001_voxels.tsv", sep="\t")
    table = co.recover_subject(source, "sub-001", cache, out_dir=Path(cache) / "out", progress=False)
    summary = json.loads((Path(cache) / "out" / "sub-001_voxels.json").read_text())
    return {"columns": len(table), "timing_s": summary["timing_s"], "agreement": co.agreement(table, planted)}


def _coords_full_run(cache: str) -> dict:
    """Child: one raw run at ds003720's size (96 x 96 x 68 x 410, int16) simulated by the twin, then our
    preprocessing of it and the screening of 64,700 derivative-like columns against its mask voxels."""
    import nibabel as nib

    from banlib.data import coordinates as co
    from banlib.data import preprocess
    from banlib.twin import raw

    cache = Path(cache)
    cache.mkdir(parents=True, exist_ok=True)
    anatomy = raw.plant_anatomy("sub-001", 0, "full")
    cand = raw.native_candidates(anatomy)
    columns = cand[["i", "j", "k"]].to_numpy()[:64_700]
    g = np.random.default_rng(0)
    resp = g.standard_normal((400, len(columns))).astype(np.float32)
    t = time.perf_counter()
    data, _ = raw.simulate_run(anatomy, raw.epi_baseline(anatomy), columns, resp, "sub-001", 0, "Training", 1)
    simulate_s = time.perf_counter() - t
    path = cache / "sub-001_task-Training_run-01_bold.nii"
    nib.save(nib.Nifti1Image(data, anatomy.epi_affine), str(path))
    del data
    t = time.perf_counter()
    prep = preprocess.preprocess_subject([("Training", 1, path)], cache / "prep", progress=False)
    preprocess_s = time.perf_counter() - t
    n_mask = json.loads((prep / "reference.json").read_text())["n_mask"]
    Y = (resp - resp.mean(0)) / resp.std(0)
    t = time.perf_counter()
    m = co.ColumnMatcher(co.MatchSettings(screen_runs=1)).fit(
        [Y], [lambda: preprocess.load_preprocessed(prep, "Training", 1)], progress=False)
    match_s = time.perf_counter() - t
    return {"columns": len(columns), "n_mask": n_mask, "simulate_s": simulate_s, "preprocess_one_run_s": preprocess_s,
            "match_one_run_s": match_s, "unambiguous_one_run": float(m.unambiguous_.mean())}


def bench_coordinates(twin: str) -> dict:
    """The raw-BOLD coordinates route (issue 20): the whole route on the quick twin's raw subject, and one
    run at the real size, with a projection for a real subject (12 runs) marked as such."""
    work = OUT / "coordinates"
    if work.exists():
        shutil.rmtree(work)
    quick = _child_run("_coords_quick", twin=str(Path(twin).absolute()), cache=str(work / "quick"))
    full = _child_run("_coords_full_run", cache=str(work / "full"))
    # screening uses 2 runs and verification 12 runs of a few candidates: the screening products dominate
    projection = {"preprocess_12_runs_s": 12 * full["preprocess_one_run_s"],
                  "match_s": 2 * full["match_one_run_s"],
                  "registration_s": quick["timing_s"]["registration_s"],
                  "note": "projection from one real-size run (preprocessing x 12, screening x 2) plus the quick "
                          "twin's registration time (its T1w is 2 mm, the real one 1 mm: more), not a measurement"}
    projection["total_min"] = round(sum(v for k, v in projection.items() if k.endswith("_s")) / 60, 1)
    shutil.rmtree(work, ignore_errors=True)
    return {"quick_twin_route": quick, "real_size_run": full, "real_subject_projection": projection}


def _widths(choice: str) -> tuple:
    from banlib.config import get_profile

    return tuple(get_profile(choice).widths)


# --------------------------------------------------------------------------- calibration (issue 16)

def _calibrate(profile: str, seed: int, network: bool) -> dict:
    """Generate (or reuse) one twin under benchmarks/out/ and measure every calibration target on it."""
    from banlib.analyses import calibration
    from banlib.analyses.pipeline import Pipeline
    from banlib.data.dataset import open_source
    from banlib.twin.build import make_twin

    data = OUT / "data"
    t = time.perf_counter()
    make_twin(data / "twin" / f"{profile}-seed{seed}", profile, seed, datalad=False)
    t_twin = time.perf_counter() - t
    pipe = Pipeline(open_source("twin", data, profile, seed), profile, seed, OUT / f"calibration-{profile}-seed{seed}")
    t = time.perf_counter()
    table = calibration.measure(pipe, progress=True, network=network)
    return {"profile": profile, "seed": seed, "twin_s": t_twin, "measure_s": time.perf_counter() - t,
            "met": int(table.ok.sum()), "targets": len(table), "summary": calibration.summary(table),
            "table": calibration.as_json(table)}


def _markdown(results: list[dict]) -> str:
    """One column per run: every target's measured value, and a mark where it is not met."""
    head = "| target | paper | twin must give | " + " | ".join(f"{r['profile']} seed {r['seed']}" for r in results) + " |"
    lines = [head, "|" + "---|" * (3 + len(results))]
    for i, row in enumerate(results[0]["table"]):
        cells = []
        for r in results:
            x = r["table"][i]
            v = x["measured"]
            shown = "n/a" if v is None else (f"{v:.0f}" if x["id"].startswith(("roi_size", "confusion_")) else f"{v:.3f}")
            cells.append(shown + ("" if x["ok"] else " ✗"))
        lines.append(f"| {row['id']} | {row['paper']} | {row['tolerance']} | " + " | ".join(cells) + " |")
    lines.append("| **targets met** | | | " + " | ".join(f"**{r['met']} / {r['targets']}**" for r in results) + " |")
    return "\n".join(lines)


def bench_calibration(profile: str = "quick") -> dict:
    seeds = [int(s) for s in os.environ.get("BENCH_SEEDS", "0,1,2" if profile == "quick" else "0").split(",")]
    network = profile == "quick" or os.environ.get("BENCH_FULL_NETWORK") == "1"
    runs = [_calibrate(profile, s, network) for s in seeds]
    (OUT / f"calibration-{profile}.md").write_text(_markdown(runs) + "\n")
    print(_markdown(runs))
    return {"runs": runs}



def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("which", nargs="*", default=["roi", "ridge", "train"],
                   choices=["roi", "ridge", "train", "twin-full", "full-analyses", "orientation", "coordinates",
                            "calibration", "calibration-full"])
    p.add_argument("--device", default="cpu", help="train: cpu or cuda")
    p.add_argument("--twin", help="full-analyses: the full-profile twin (banlib twin --profile full --out PATH)")
    p.add_argument("--subjects", nargs="*", help="full-analyses: subjects (default all)")
    p.add_argument("--network-widths", choices=["quick", "full"], default="full",
                   help="full-analyses: widths of the (untrained) networks whose activations are scored")
    args = p.parse_args(argv)
    OUT.mkdir(exist_ok=True)
    for name in args.which:
        if name in ("full-analyses", "coordinates") and not args.twin:
            p.error(f"{name} needs --twin PATH")
        run = {"roi": bench_roi, "ridge": bench_ridge, "train": lambda: bench_train(args.device),
               "twin-full": bench_twin_full, "orientation": bench_orientation,
               "calibration": bench_calibration, "calibration-full": lambda: bench_calibration("full"),
               "full-analyses": lambda: bench_full_analyses(args.twin, args.subjects, _widths(args.network_widths)),
               "coordinates": lambda: bench_coordinates(args.twin)}[name]
        result = run()
        result["machine"] = machine()
        suffix = f"-{args.device}" if name == "train" else ""
        (OUT / f"{name}{suffix}.json").write_text(json.dumps(result, indent=2))
        if name.startswith("calibration"):
            continue
        print(f"## {name}\n" + "\n".join(f"| {k} | {v:.4g} |" if isinstance(v, float) else f"| {k} | {v} |"
                                       for k, v in result.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
