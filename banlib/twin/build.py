"""``banlib twin``: write the synthetic twin of ds003720 + GTZAN as a local DataLad dataset.

Layout (as ds003720, plus the twin's own folders)::

    sub-00N/func/sub-00N_task-{Training,Test}_run-NN_{events.tsv,bold.json}
    sub-00N/anat/sub-00N_T1w.json
    sub-00N/{func,anat}/*_bold.nii, *_T1w.nii         raw runs and T1w (raw subjects only, see twin.raw)
    sub-00N/beh/sub-00N_task-GenreChoice_beh.tsv      simulated choices (not in ds003720)
    derivative/preprocessed_data/sub-00N_Resp_{Training,Test,Test_Mean}.npy
    derivative/stimuli_generate/*.mat                 the authors' stimulus files, for the twin's design
    derivative/twin_truth/                            planted ground truth, twin.json
    stimuli/gtzan/genres/<genre>/<genre>.000NN.wav    synthesised stand-in for GTZAN

The dataset is written to ``<out>.partial`` and renamed when complete, so an interrupted
run never leaves a folder that looks finished. The same seed gives byte-identical files.
"""
from __future__ import annotations

import json
import subprocess
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from .. import __version__, tools
from ..data.stimuli import stimulus_clips
from ..config import (CLIP_SECONDS, GENRES, N_TEST_RUNS, N_TRAINING_RUNS, REAL_N_VOXELS, SAMPLE_RATE,
                      SUBJECTS, TEST_REPEATS, TR, check_seed, get_profile, rng)
from ..data.dataset import DataError, DataSource
from ..data.design import clip_grid, clip_table
from ..data.fetch import remove_tree
from ..features.spectral import frames_to_trs, log_mel
from ..paths import check_out, check_removable, output_lock, stamp
from . import brain, music, raw
from .stimfiles import write_stimulus_files

# Raised whenever the generator changes what a twin of a given profile and seed contains; a twin on disk with
# another format is refused (make_twin), not silently read.
TWIN_FORMAT = 6
CORRUPT_TRACK = ("jazz", 54)      # GTZAN's known corrupt file, planted truncated
N_TRACKS = 100
TRACKS_PER_GENRE = 54
TEST_TRACKS_PER_GENRE = 6
ACOUSTIC_NAMES = tuple(f"mel_band_{i}" for i in range(8)) + ("spectral_flux",)


def make_design(seed: int) -> dict[str, list[pd.DataFrame]]:
    """Events of every run, generated with the real design: 54 tracks per genre (48 training,
    6 test); training runs hold 4 blocks of 10 clips, each block one clip of every genre in a
    new order, led by the previous run's last clip; test runs play 10 clips (one per genre)
    4 times, led by their own last clip."""
    g = rng(seed, "twin", "design")
    train, test = [], []
    for genre in GENRES:
        pool = [t for t in range(N_TRACKS) if (genre, t) != CORRUPT_TRACK]
        tracks = g.permutation(g.choice(pool, TRACKS_PER_GENRE, replace=False))
        starts = np.round(g.uniform(0.4, 15.0, TRACKS_PER_GENRE), 2)
        clips = [(genre, int(t), float(s)) for t, s in zip(tracks, starts)]
        test.append(clips[:TEST_TRACKS_PER_GENRE])
        train.append(clips[TEST_TRACKS_PER_GENRE:])
    train_runs = [[train[k][4 * r + b] for b in range(4) for k in g.permutation(len(GENRES))]
                  for r in range(N_TRAINING_RUNS)]
    test_runs = [[per_genre[r] for per_genre in test] for r in range(N_TEST_RUNS)]
    test_runs = [[run[i] for i in g.permutation(len(run))] for run in test_runs]

    def table(sequence):
        return pd.DataFrame({"onset": np.arange(len(sequence)) * CLIP_SECONDS, "duration": CLIP_SECONDS,
                             "genre": [c[0] for c in sequence], "track": [c[1] for c in sequence],
                             "start": [c[2] for c in sequence], "end": [round(c[2] + CLIP_SECONDS, 2) for c in sequence]})

    return {"Training": [table([train_runs[r - 1][-1]] + run) for r, run in enumerate(train_runs)],
            "Test": [table([run[-1]] + run * TEST_REPEATS) for run in test_runs]}


def _fmt(x: float) -> str:
    return f"{x:g}"


def write_events(df: pd.DataFrame, path: Path, lose_quote_rows=()) -> None:
    """Write events with ds003720's quirks: CRLF, quoted genres, some lost leading quotes."""
    lines = ["onset\tduration\tgenre\ttrack\tstart\tend"]
    for i, r in enumerate(df.itertuples()):
        genre = f"{r.genre}'" if i in lose_quote_rows else f"'{r.genre}'"
        lines.append("\t".join([_fmt(r.onset), _fmt(r.duration), genre, str(r.track), _fmt(r.start), _fmt(r.end)]))
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode())


def bold_sidecar(task: str) -> dict:
    """The ``_bold.json`` sidecar of a run of ``task`` (``"Training"`` or ``"Test"``) as ds003720 writes it:
    scanner fields, ``RepetitionTime`` (s) and ``SliceTiming`` (s, 68 slices, multiband 4, interleaved)."""
    n_slices, mb = 68, 4
    per_band = n_slices // mb
    order = list(range(0, per_band, 2)) + list(range(1, per_band, 2))
    times = [0.0] * per_band
    for k, s in enumerate(order):
        times[s] = round(k * TR / per_band, 5)
    return {"Modality": "MR", "MagneticFieldStrength": 3, "Manufacturer": "Siemens",
            "ManufacturersModelName": "TrioTim", "MRAcquisitionType": "2D",
            "SeriesDescription": "mbep2d_MB4_TR1.5_2mm_PF6_410", "EchoTime": 0.03, "RepetitionTime": TR,
            "FlipAngle": 62, "MultibandAccelerationFactor": mb, "SliceThickness": 2, "TaskName": task,
            "SliceTiming": times * mb, "PhaseEncodingDirection": "j-",
            "TwinNote": "synthetic twin of ds003720: generated by banlib, no scanner data"}


def _write_json(obj, path: Path) -> None:
    path.write_text(json.dumps(obj, indent=2, sort_keys=True) + "\n")


def _render_one(args):
    genre, track, seed, like, blend, path = args
    import soundfile as sf

    wave = music.render(genre, track, seed, like=like, blend=blend)
    sf.write(path, wave, SAMPLE_RATE, subtype="PCM_16")
    if (genre, track) == CORRUPT_TRACK:        # keep the header, cut the data: truncated like GTZAN's
        data = Path(path).read_bytes()
        Path(path).write_bytes(data[: len(data) // 3])
    return path


def render_audio(root: Path, tracks: pd.DataFrame, seed: int, workers: int = 2) -> None:
    """Render every track of ``tracks`` (columns genre, track, like, blend) into the GTZAN layout."""
    jobs = []
    for r in tracks.itertuples():
        path = root / "genres" / r.genre / f"{r.genre}.{r.track:05d}.wav"
        path.parent.mkdir(parents=True, exist_ok=True)
        jobs.append((r.genre, int(r.track), seed, r.like, float(r.blend), str(path)))
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for _ in tqdm(pool.map(_render_one, jobs, chunksize=8), total=len(jobs), desc="render audio", unit="track"):
            pass


def plan_tracks(design: dict[str, list[pd.DataFrame]], seed: int, all_tracks: bool) -> pd.DataFrame:
    """Every track to render: which genre it sounds like (by quota within its genre's fMRI test
    tracks, fMRI training tracks and the rest, :func:`brain.sounds_like`) and its musical plan."""
    groups = {}
    for genre in GENRES:
        used = {task: sorted({int(t) for ev in runs for g, t in zip(ev.genre, ev.track) if g == genre})
                for task, runs in design.items()}
        rest = [t for t in range(N_TRACKS) if t not in used["Test"] + used["Training"]]
        if not all_tracks:
            rest = [t for t in rest if (genre, t) == CORRUPT_TRACK]
        groups[genre] = {"test": used["Test"], "training": used["Training"], "rest": rest}
    tracks = brain.sounds_like(groups, seed)
    plans = [music.track_plan(r.genre, int(r.track), seed, r.like, r.blend) for r in tracks.itertuples()]
    for key in ("cue", "bpm", "key", "drums", "bass", "chords", "chord_program", "lead_program", "bass_program"):
        tracks[key] = [p[key] for p in plans]
    tracks["bpm"] = tracks.bpm.round(2)
    tracks["borrowed"] = [sum(src != r.genre for src in p["sources"].values()) for p, r in zip(plans, tracks.itertuples())]
    return tracks


def cue_record(tracks: pd.DataFrame) -> dict:
    """The planted interpretability cue (``twin_truth/cue.json``): where it is and which tracks carry it."""
    lo, hi = music.cue_band_hz()
    centres = music.mel_band_centres()
    bands = np.nonzero((centres >= lo) & (centres <= hi))[0]
    return {"genre": music.CUE.genre, "contrast_genre": "jazz", "instrument": f"GM program {music.CUE.program} (harmonica)",
            "register_midi": list(music.CUE.register), "band_hz": [round(lo, 1), round(hi, 1)],
            "mel_bands": [int(bands.min()), int(bands.max())] if len(bands) else None, "n_mels": len(centres),
            "timing": "a riff in bars 1-2 of every 4 bars, for the whole track",
            "tracks": [f"{g}.{t:05d}" for g, t, c in zip(tracks.genre, tracks.track, tracks.cue) if c],
            "note": "no other genre uses the harmonica or notes in this register (leads and chords stay at or "
                    f"below MIDI {music.LEAD_TOP}); its harmonics lie above the band"}


def acoustic_features(stimuli: dict[int, np.ndarray], n_clips: int) -> np.ndarray:
    """(n_clips, 10 TRs, 9): 8 log-mel band-group energies and spectral flux per TR."""
    hop = 512
    out = np.zeros((n_clips, 10, len(ACOUSTIC_NAMES)), np.float32)
    for i, wave in stimuli.items():
        mel = log_mel(wave, hop=hop)                                  # (64, frames) dB
        bands = mel.reshape(8, 8, -1).mean(axis=1).T                  # (frames, 8)
        flux = np.maximum(np.diff(mel, axis=1, prepend=mel[:, :1]), 0).mean(axis=0)[:, None]
        out[i] = frames_to_trs(np.hstack([bands, flux]), hop / SAMPLE_RATE)
    return out


def _save_npy(path: Path, array: np.ndarray) -> None:
    with open(path, "wb") as f:
        np.lib.format.write_array(f, np.ascontiguousarray(array, np.float32), allow_pickle=False)


def simulate_subject(root: Path, subject: str, n_voxels: int, seed: int, clips: pd.DataFrame,
                     acoustic: np.ndarray, candidates: pd.DataFrame, source: DataSource,
                     genre_drive: np.ndarray, full_voxels: int | None = None,
                     reference: pd.DataFrame | None = None, extent_gain: float = 1.0) -> dict:
    """Plant one subject's voxels and write its three response matrices and its planted truth.

    ``acoustic`` (540, 10, 9) acoustic features per clip and TR, ``genre_drive`` (540, K) each clip's
    place in the genre space (:func:`brain.clip_genre_drive`); the unexplained drive
    (:func:`brain.unexplained_features`) is drawn from the seed. ``reference``: the candidates whose label
    shares the subject should have (:func:`brain.make_voxels`; a raw subject's are the MNI candidates);
    ``extent_gain``: more genre voxels than the subject's share (:data:`raw.GENRE_EXTENT_GAIN`)."""
    vox = brain.make_voxels(subject, n_voxels, seed, candidates, full_voxels, reference, extent_gain)
    g = rng(seed, "twin", "hrf", subject)
    peak = float(np.round(g.uniform(5.0, 6.5), 3))
    h = brain.hrf(peak=peak)
    unexplained = brain.unexplained_features(len(clips), seed)
    weights = {"genre": brain.genre_weights(vox, seed, subject).T,                 # (K, V)
               "acoustic": brain.acoustic_weights(vox, acoustic.shape[-1], seed, subject).T,
               "unexplained": brain.unexplained_weights(vox, unexplained.shape[-1], seed, subject).T}
    per_clip = {"genre": np.repeat(genre_drive[:, None, :], acoustic.shape[1], axis=1), "acoustic": acoustic,
                "unexplained": unexplained}
    snrs = {k: vox[f"{k}_snr"].to_numpy() for k in weights}
    pos = np.arange(410) % 10
    deriv = root / "derivative" / "preprocessed_data"
    gains = None
    for task in ("Training", "Test"):
        grid = clip_grid(source, subject, task, clips)
        drives = {k: f[grid, pos[None, :]] for k, f in per_clip.items()}        # (runs, 410, K)
        if gains is None:                                                   # set on the training runs
            gains = brain.signal_gains(drives, weights, snrs, h)
        runs, parts = brain.simulate_runs(drives, weights, gains, vox, h, seed, subject, task,
                                          keep_parts=task == "Test")
        _save_npy(deriv / f"{subject}_Resp_{task}.npy", runs.reshape(-1, runs.shape[-1]))
        if task == "Test":
            _save_npy(deriv / f"{subject}_Resp_Test_Mean.npy", brain.test_mean(runs))
            for k, r in brain.oracle_r(parts, runs).items():
                vox[f"oracle_r_{k}"] = np.nan_to_num(r).round(4)
    truth = root / "derivative" / "twin_truth"
    vox.to_csv(truth / f"{subject}_voxels.tsv", sep="\t", index=False, lineterminator="\n")
    np.savez(truth / f"{subject}_weights.npz", hrf=h.astype(np.float32),
             **{k: w.T.astype(np.float32) for k, w in weights.items()})
    return {"n_voxels": int(n_voxels), "hrf_peak_s": peak,
            "genre_extent": round(brain.SUBJECT_EXTENT.get(subject, 1.0) * extent_gain, 4),
            "planted": {k: int(v) for k, v in vox.truth.value_counts().sort_index().items()}}


def write_behaviour(root: Path, subject: str, seed: int, test_events: list[pd.DataFrame],
                    tracks: pd.DataFrame) -> None:
    """Write ``<subject>/beh/<subject>_task-GenreChoice_beh.tsv`` (and its ``.json``): one simulated
    listener's choice for every test clip, in fMRI order (``test_events``: the events of the test runs),
    drawn from each track's planted choice probabilities (``tracks``: :func:`plan_tracks`)."""
    rows = []
    for run, ev in enumerate(test_events, start=1):
        for r in ev.iloc[1:1 + len(GENRES)].itertuples():     # each test clip once, fMRI order
            rows.append((run, r.genre, r.track))
    choices = brain.behavioural_choices(tracks, [(r[1], r[2]) for r in rows], seed, subject)
    beh = root / subject / "beh"
    beh.mkdir(parents=True, exist_ok=True)
    df = pd.DataFrame(rows, columns=["run", "genre", "track"])
    df.insert(0, "trial", np.arange(1, len(df) + 1))
    df["choice"] = choices
    df.to_csv(beh / f"{subject}_task-GenreChoice_beh.tsv", sep="\t", index=False, lineterminator="\n")
    _write_json({"trial": {"Description": "order of presentation"},
                 "genre": {"Description": "true GTZAN genre of the clip"},
                 "choice": {"Description": "simulated genre choice (twin only; ds003720 has no behaviour)"}},
                beh / f"{subject}_task-GenreChoice_beh.json")


def write_planted(truth: Path, tracks: pd.DataFrame, clips: pd.DataFrame, genre_drive: np.ndarray, seed: int) -> None:
    """The planted structure shared by music, cortex and listeners (see :mod:`banlib.twin.brain`)."""
    def table(m, path):
        pd.DataFrame(m, index=GENRES, columns=GENRES).round(6).to_csv(truth / path, sep="\t", lineterminator="\n")

    table(brain.planted_confusion(), "planted_confusion.tsv")
    test = clips[clips.split == "Test"]
    table(brain.expected_choice_confusion(tracks, test.genre, test.track), "behaviour_confusion.tsv")
    E = brain.genre_space()
    pd.DataFrame(E, index=GENRES, columns=[f"dim{i + 1}" for i in range(E.shape[1])]).round(6).to_csv(
        truth / "genre_space.tsv", sep="\t", lineterminator="\n")
    D = np.linalg.norm(E[:, None] - E[None], axis=-1)
    table(D, "genre_distance.tsv")
    tracks.to_csv(truth / "tracks.tsv", sep="\t", index=False, lineterminator="\n")
    _save_npy(truth / "clip_genre_drive.npy", genre_drive)
    _save_npy(truth / "unexplained_features.npy", brain.unexplained_features(len(clips), seed))
    brain.label_tuning_table().to_csv(truth / "label_tuning.tsv", sep="\t", lineterminator="\n")
    _write_json(cue_record(tracks), truth / "cue.json")


def _datalad(args, cwd: Path) -> None:
    env = tools.environment()
    for k, v in (("GIT_AUTHOR_NAME", "banlib twin"), ("GIT_AUTHOR_EMAIL", "twin@banlib.invalid")):
        env.setdefault(k, v)
        env.setdefault(k.replace("AUTHOR", "COMMITTER"), v)
    subprocess.run(["datalad", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True)


def twin_state(out: str | Path, profile: str, seed: int, force: bool = False) -> str:
    """What :func:`make_twin` may do with ``out``, checked before any work: ``"keep"`` (the complete twin of this
    profile and seed is there), ``"new"`` (nothing there, or an empty folder) or ``"replace"`` (a folder
    banlib twin made, with ``force``).

    Raises
    ------
    banlib.paths.NotOurs
        for a file, or a non-empty folder banlib twin did not make (never deleted).
    DataError
        for a twin of another profile, seed or generator format, or an incomplete one, without ``force``.
    """
    out = Path(out)
    if check_out(out, "twin", reuse=True) == "new":
        return "new"
    manifest = out / "derivative" / "twin_truth" / "twin.json"
    try:
        info = json.loads(manifest.read_text()) if manifest.is_file() else None
    except ValueError:
        info = {"format": "unreadable"}                   # a damaged manifest: not this generator's twin
    if force:
        return "replace"
    if info is None:
        raise DataError(file=out, what="a twin folder banlib started but did not finish (no twin.json)",
                        fix="pass --force to generate it again")
    if info.get("format") != TWIN_FORMAT:
        raise DataError(file=out, what=f"a twin from another version of the generator (format {info.get('format')}, "
                                       f"this banlib writes format {TWIN_FORMAT}); its numbers are not comparable",
                        fix="pass --force to replace it with the current twin (banlib twin --force)")
    if (info.get("profile"), info.get("seed")) != (profile, seed):
        raise DataError(file=out, what=f"holds the twin of profile {info.get('profile')}, seed {info.get('seed')}, "
                                       f"not of profile {profile}, seed {seed}",
                        fix="give another --out, or pass --force to replace it")
    return "keep"


def make_twin(out: str | Path, profile: str = "quick", seed: int = 0, subjects=SUBJECTS,
              datalad: bool = True, workers: int = 2, force: bool = False) -> Path:
    """Generate the twin at ``out``; returns the path. An existing complete twin of this profile and seed is kept
    (``force``: generated again).

    ``out`` is checked before any work (:func:`twin_state`): banlib replaces only a folder banlib twin made; a
    file or a foreign folder there is an error. ``out`` is locked (:func:`banlib.paths.output_lock`) while it is
    checked and generated: a second run into it, or a run that would read it meanwhile, fails at once, naming this
    one. (A twin replaced with ``force`` under a book that is already reading it is not guarded.)"""
    out = Path(out)
    prof = get_profile(profile)
    check_seed(seed)
    twin_state(out, profile, seed, force)               # a file, a foreign folder, another seed: before the lock
    # the lock is taken to keep a twin too: a twin another run is generating (or replacing) is not read meanwhile
    with output_lock(out, f"banlib twin --out {out} --profile {profile} --seed {seed}"):
        state = twin_state(out, profile, seed, force)     # again: another run may have finished it meanwhile
        if state == "keep":
            return out
        tmp = out.with_name(out.name + ".partial")
        check_removable(tmp, "twin", fix=f"move it away, or delete it yourself (rm -rf {tmp})")
        remove_tree(tmp)
        tmp.mkdir(parents=True)
        stamp(tmp, "twin")
        _generate(tmp, profile, prof, seed, subjects, datalad, workers)
        if state == "replace":
            remove_tree(out)
        elif out.exists():
            out.rmdir()                                   # "new": absent or an empty folder
        tmp.rename(out)
    return out


def _generate(tmp: Path, profile: str, prof, seed: int, subjects, datalad: bool, workers: int) -> None:
    """Write every file of the twin into ``tmp`` (see the module docstring)."""
    t0 = time.time()
    design = make_design(seed)
    for sub in subjects:
        for kind in ("func", "anat"):
            (tmp / sub / kind).mkdir(parents=True, exist_ok=True)
        for task, runs in design.items():
            for run, ev in enumerate(runs, start=1):
                stem = tmp / sub / "func" / f"{sub}_task-{task}_run-{run:02d}"
                quirk = range(len(ev) - 3, len(ev)) if (task, run) == ("Training", 4) else ()
                write_events(ev, Path(f"{stem}_events.tsv"), quirk)
                _write_json(bold_sidecar(task), Path(f"{stem}_bold.json"))
        _write_json({"Modality": "MR", "TwinNote": "synthetic twin: no anatomical image"},
                    tmp / sub / "anat" / f"{sub}_T1w.json")
    for d in ("derivative/preprocessed_data", "derivative/twin_truth", "stimuli/gtzan"):
        (tmp / d).mkdir(parents=True, exist_ok=True)
    _write_json({"Name": "Music Genre fMRI Dataset - synthetic twin (banlib)", "BIDSVersion": "1.4.0",
                 "License": "CC0", "DatasetType": "raw",
                 "GeneratedBy": [{"Name": "banlib twin", "Version": __version__}]},
                tmp / "dataset_description.json")
    (tmp / "README").write_text(
        "Synthetic twin of OpenNeuro ds003720 made by `banlib twin` "
        f"(profile {profile}, seed {seed}).\nSame layout, file names, design and events quirks as the real "
        "dataset; responses are simulated from synthesised music with planted ground truth "
        "(derivative/twin_truth). Not real data: never report its numbers as the paper's findings.\n")

    source = DataSource("twin", tmp, tmp / "derivative" / "preprocessed_data", tmp / "stimuli" / "gtzan", None)
    clips = clip_table(source, subjects[0])
    tracks = plan_tracks(design, seed, prof.all_gtzan_tracks)
    render_audio(tmp / "stimuli" / "gtzan", tracks, seed, workers)
    write_stimulus_files(tmp / "derivative" / "stimuli_generate", source, clips, seed)

    stimuli = stimulus_clips(source, clips)
    acoustic = brain.orthogonalise_genre(acoustic_features(stimuli, len(clips)), clips.genre)
    truth = tmp / "derivative" / "twin_truth"
    _save_npy(truth / "acoustic_features.npy", acoustic)
    clips.drop(columns=["runs", "onsets"]).to_csv(truth / "clips.tsv", sep="\t", lineterminator="\n")
    genre_drive = brain.clip_genre_drive(clips, tracks, seed)
    write_planted(truth, tracks, clips, genre_drive, seed)

    candidates = brain.candidate_voxels()
    info = {"profile": profile, "seed": seed, "banlib_version": __version__, "format": TWIN_FORMAT, "subjects": {},
            "acoustic_features": list(ACOUSTIC_NAMES), "genre_space_dims": brain.GENRE_DIMS,
            "snr": "signal sd / noise sd per drive (genre_snr, acoustic_snr in <sub>_voxels.tsv), lognormal "
                   f"around each label's median (label_tuning.tsv), log-sd {brain.SNR_SPREAD}",
            "noise": f"AR(1), phi ~ U(.2, .5) per voxel, slow drift (sd ~{brain.DRIFT_SD}), "
                     f"{brain.NOISY_SHARE:.0%} noisy voxels (2-4x noise, spikes)", "tr_s": TR}
    for sub in tqdm(subjects, desc="simulate cortex", unit="subject"):
        n_vox = max(200, int(round(REAL_N_VOXELS[sub] * prof.voxel_fraction)))
        # raw subjects: voxels are native EPI voxels, and the derivatives are the preprocessed raw runs
        anatomy = raw.plant_anatomy(sub, seed, profile) if sub in raw.raw_subjects(profile) else None
        cands = candidates if anatomy is None else raw.native_candidates(anatomy)
        gain = 1.0 if anatomy is None else raw.GENRE_EXTENT_GAIN[profile]
        info["subjects"][sub] = simulate_subject(tmp, sub, n_vox, seed, clips, acoustic, cands, source,
                                                 genre_drive, REAL_N_VOXELS[sub], reference=candidates,
                                                 extent_gain=gain)
        if anatomy is not None:
            vox = pd.read_csv(truth / f"{sub}_voxels.tsv", sep="\t")
            info["subjects"][sub]["raw"] = raw.write_raw_subject(tmp, sub, seed, profile, anatomy, vox)
        write_behaviour(tmp, sub, seed, design["Test"], tracks)
    _write_json(info, truth / "twin.json")
    if datalad:
        _datalad(["create", "--force", "-c", "text2git", "."], tmp)
        _datalad(["save", "-m", f"banlib twin: profile {profile}, seed {seed}"], tmp)
    print(f"twin written to {tmp.with_name(tmp.name.removesuffix('.partial'))} in {time.time() - t0:.0f} s")
