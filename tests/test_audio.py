import numpy as np
import pytest
import soundfile as sf

from banlib.data.audio import (AudioError, cut_clip, fade_mask, gtzan_filtered_split, gtzan_files, gtzan_path,
                               read_audio, read_many)
from banlib.data.dataset import DataError
from banlib.config import SAMPLE_RATE


def _wav(path, seconds=1.0, sr=SAMPLE_RATE, channels=1):
    t = np.arange(int(seconds * sr)) / sr
    x = 0.3 * np.sin(2 * np.pi * 440 * t)
    sf.write(path, np.stack([x] * channels, axis=1) if channels > 1 else x, sr, subtype="PCM_16")
    return path


def test_read_audio_mono_and_resampled(tmp_path):
    stereo = read_audio(_wav(tmp_path / "a.wav", channels=2))
    assert stereo.ndim == 1 and stereo.dtype == np.float32 and len(stereo) == SAMPLE_RATE
    other = read_audio(_wav(tmp_path / "b.wav", sr=44_100))
    assert abs(len(other) - SAMPLE_RATE) <= 1


def test_truncated_file_is_skipped_with_a_warning(tmp_path):
    good = _wav(tmp_path / "blues.00000.wav")
    bad = _wav(tmp_path / "jazz.00054.wav")
    bad.write_bytes(bad.read_bytes()[:3000])          # header says more frames than remain
    with pytest.raises(AudioError, match="truncated"):
        read_audio(bad)
    with pytest.warns(UserWarning, match=r"(?s)skipped 1 unreadable.*jazz\.00054\.wav"):
        out = read_many([good, bad])
    assert list(out) == [good]


def test_garbage_file_is_an_audio_error(tmp_path):
    p = tmp_path / "x.wav"
    p.write_bytes(b"not audio at all")
    with pytest.raises(AudioError, match="cannot read"):
        read_audio(p)


def test_cut_clip_quarter_sine_fades_and_rms():
    wave = np.ones(30 * SAMPLE_RATE, np.float32)
    clip = cut_clip(wave, 5.0, 20.0, target_rms=0.1)
    assert len(clip) == 15 * SAMPLE_RATE
    assert clip[0] == 0 and clip[-1] == 0
    mid = clip[len(clip) // 2]
    assert clip[SAMPLE_RATE] == pytest.approx(mid * np.sin(np.pi / 4), rel=1e-3)   # halfway in time up the 2-s fade
    assert clip[2 * SAMPLE_RATE - 1] == pytest.approx(mid) and clip[-2 * SAMPLE_RATE] == pytest.approx(mid)
    assert np.sqrt(np.mean(clip.astype(np.float64) ** 2)) == pytest.approx(0.1, rel=1e-4)


def test_fade_mask_is_the_authors_quarter_sine():
    m = fade_mask(15 * SAMPLE_RATE)
    k = 2 * SAMPLE_RATE
    np.testing.assert_allclose(m[:k], np.sin(np.linspace(0, np.pi / 2, k)))
    np.testing.assert_array_equal(m[-k:], m[:k][::-1])
    assert (m[k:-k] == 1).all()


@pytest.mark.parametrize("layout", ["genres", "Data/genres_original", "gtzan/genres",
                                    "gtzan-dataset-music-genre-classification/Data/genres_original"])
def test_gtzan_found_in_either_layout(tmp_path, layout):
    for genre, track in (("jazz", 54), ("blues", 3)):
        path = tmp_path.joinpath(layout, genre, f"{genre}.{track:05d}.wav")
        path.parent.mkdir(parents=True)
        _wav(path)
    assert gtzan_path(tmp_path, "jazz", 54) == tmp_path / layout / "jazz" / "jazz.00054.wav"
    assert [p.name for p in gtzan_files(tmp_path)] == ["blues.00003.wav", "jazz.00054.wav"]


def test_au_copy_is_named_with_how_to_convert(tmp_path):
    (tmp_path / "genres" / "blues").mkdir(parents=True)
    (tmp_path / "genres" / "blues" / "blues.00000.au").write_bytes(b".snd")
    with pytest.raises(DataError, match=r"(?s)blues\.00000\.au.*sox blues\.00000\.au blues\.00000\.wav"):
        gtzan_files(tmp_path)


def test_no_gtzan_names_folder_layouts_and_fetch(tmp_path):
    with pytest.raises(DataError, match=r"(?s)no GTZAN audio.*genres/<genre>.*Data/genres_original/<genre>.*"
                                        r"banlib fetch gtzan"):
        gtzan_path(tmp_path, "jazz", 1)


def test_unfetched_annexed_audio_is_an_error_not_a_skip(tmp_path):
    (tmp_path / ".datalad").mkdir()
    link = tmp_path / "genres" / "jazz" / "jazz.00001.wav"
    link.parent.mkdir(parents=True)
    link.symlink_to("../../.git/annex/objects/XX/missing.wav")
    with pytest.raises(DataError, match="datalad get"):
        read_many([link])


def test_fault_filtered_split_sizes():
    split = gtzan_filtered_split()
    assert {k: len(v) for k, v in split.items()} == {"train": 443, "valid": 197, "test": 290}
    assert not set(split["train"]) & set(split["test"])


def test_audio_shorter_than_the_excerpt_is_refused_not_padded_with_silence():
    wave = np.ones(22050, np.float32)                           # 1 s of audio
    with pytest.raises(AudioError, match=r"blues\.00001\.wav: 1\.000 s long, but the excerpt 0-15 s needs"):
        cut_clip(wave, 0.0, 15.0, name="blues.00001.wav")
    long = np.ones(15 * 22050 - 50, np.float32)                # 50 samples short: within the times' rounding
    assert cut_clip(long, 0.0, 15.0, tolerance=112).shape == (15 * 22050,)
    with pytest.raises(AudioError):
        cut_clip(long, 0.0, 15.0)
