import shutil

import numpy as np
import pytest
from scipy.io import loadmat, savemat

from banlib.config import GENRES, SAMPLE_RATE
from banlib.data.dataset import DataError, DataSource
from banlib.data.design import clip_table
from banlib.data.stimuli import (EVENTS_ROUTE, FILES_ROUTE, INT16_SCALE, STIMULUS_FILES, StimulusFiles,
                                 read_stimulus_files, route, stimulus_clips)
from banlib.twin.stimfiles import write_mat


def _copy(quick_twin, tmp_path) -> DataSource:
    """The quick twin with its stimulus files copied to ``tmp_path/derivative/stimuli_generate``."""
    (tmp_path / "derivative" / "preprocessed_data").mkdir(parents=True)
    shutil.copytree(quick_twin.derivatives_root.parent / "stimuli_generate", tmp_path / "derivative" / "stimuli_generate")
    return DataSource("twin", quick_twin.bids_root, tmp_path / "derivative" / "preprocessed_data", quick_twin.gtzan_root)


def _edit(source, name, change):
    path = source.stimulus_file(name)
    var = STIMULUS_FILES[name][0]
    value = loadmat(str(path))[var].astype(np.float64)
    change(value)
    write_mat(path, var, value)


def test_samples_follow_the_authors_indexing():
    # genre 0 chose tracks 7, 3, 5 (stored 1-based, unsorted); token k plays the track of rank within[k]
    tracks = np.arange(54)[::-1].copy()
    chosen = np.tile(tracks + 1, (10, 1))
    within = np.tile(np.arange(1, 55)[:, None], (1, 10))                 # token k -> k-th smallest track
    start = np.tile(1000 * (tracks + 1), (10, 1))                        # start depends on the track
    files = StimulusFiles(chosen, within, start, start + 330749, 1000.0, np.ones((12, 4, 10)), np.ones((6, 4, 10)))
    table = files.samples()
    row = table[(table.genre == "blues") & (table.token == 5)].iloc[0]
    assert row.track == 5 and row.start0 == 1000 * 6 - 1 and row.end0 - row.start0 + 1 == 15 * SAMPLE_RATE
    assert row.split == "Training" and table[table.token == 50].split.eq("Test").all()


def test_twin_takes_the_files_route_and_it_agrees_with_the_events_route(quick_twin, tmp_path):
    assert route(quick_twin).startswith(FILES_ROUTE) and quick_twin.info["stimuli"].startswith(FILES_ROUTE)
    no_files = DataSource("twin", quick_twin.bids_root, tmp_path, quick_twin.gtzan_root)
    assert route(no_files) == EVENTS_ROUTE
    clips = clip_table(quick_twin).iloc[::45]
    by_files, by_events = stimulus_clips(quick_twin, clips), stimulus_clips(no_files, clips)
    target = read_stimulus_files(quick_twin).rms / INT16_SCALE
    for i, wave in by_files.items():
        assert wave.shape == (15 * SAMPLE_RATE,) and wave.dtype == np.float32
        assert np.sqrt(np.mean(wave.astype(np.float64) ** 2)) == pytest.approx(target, rel=1e-5)
        # same samples and fades; the events route scales to the mean RMS of these few cuts instead
        np.testing.assert_allclose(wave / np.abs(wave).max(), by_events[i] / np.abs(by_events[i]).max(), atol=1e-5)


def test_cut_that_disagrees_with_the_events_is_an_error(quick_twin, tmp_path):
    src = _copy(quick_twin, tmp_path)
    _edit(src, "StartData_raw.mat", lambda a: a.__setitem__((2, 7), a[2, 7] + 500))
    _edit(src, "EndData_raw.mat", lambda a: a.__setitem__((2, 7), a[2, 7] + 500))
    track = int(loadmat(str(src.stimulus_file("ChosenSongs_raw.mat")))["Tarray"][2, 7]) - 1
    with pytest.raises(DataError, match=rf"country\.{track:05d}: the stimulus files put the start at sample"):
        stimulus_clips(src, clip_table(src))


def test_play_order_that_disagrees_with_the_events_is_an_error(quick_twin, tmp_path):
    src = _copy(quick_twin, tmp_path)
    _edit(src, "AcrossGenre_Order_Trn.mat", lambda a: a.__setitem__((4, 2, slice(3, 5)), a[4, 2, [4, 3]]))
    with pytest.raises(DataError, match=r"Training run 5, position 24: the stimulus files' order"):
        stimulus_clips(src, clip_table(src).iloc[:3])


def test_incomplete_or_malformed_files_are_named(quick_twin, tmp_path):
    src = _copy(quick_twin, tmp_path)
    path = src.stimulus_file("Mean_RMS.mat")
    savemat(str(path), {"other_name": np.array([[1234.0]])})             # one variable, another name: read
    assert read_stimulus_files(src).rms == 1234.0
    savemat(str(path), {"a": np.array([[1.0]]), "b": np.array([[2.0]])})
    with pytest.raises(DataError, match=r"Mean_RMS\.mat: no variable 'RMSmean'"):
        read_stimulus_files(src)
    savemat(str(src.stimulus_file("EndData_raw.mat")), {"EndData": np.zeros((54, 10))})
    path.unlink()
    with pytest.raises(DataError, match=r"incomplete, missing Mean_RMS\.mat"):
        route(src)
    write_mat(path, "RMSmean", np.array([[1.0]]))
    with pytest.raises(DataError, match=r"EndData has shape \(54, 10\), expected \(10, 54\)"):
        read_stimulus_files(src)


def test_twin_stimulus_files_are_reproducible(quick_twin, tmp_path):
    from banlib.twin.stimfiles import write_stimulus_files

    clips = clip_table(quick_twin)
    write_stimulus_files(tmp_path, quick_twin, clips, seed=0)
    for name in STIMULUS_FILES:
        assert (tmp_path / name).read_bytes() == quick_twin.stimulus_file(name).read_bytes(), name
    assert len(GENRES) == loadmat(str(tmp_path / "ChosenSongs_raw.mat"))["Tarray"].shape[0]
