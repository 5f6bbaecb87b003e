import numpy as np
import pytest
import soundfile as sf

from banlib.data.audio import AudioError, cut_clip, gtzan_filtered_split, read_audio, read_many
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


def test_cut_clip_fades_and_rms():
    wave = np.ones(30 * SAMPLE_RATE, np.float32)
    clip = cut_clip(wave, 5.0, 20.0, target_rms=0.1)
    assert len(clip) == 15 * SAMPLE_RATE
    assert clip[0] == 0 and clip[-1] == 0
    mid = clip[len(clip) // 2]
    assert clip[SAMPLE_RATE] == pytest.approx(mid / 2, rel=0.01)      # halfway up the 2-s fade
    assert np.sqrt(np.mean(clip.astype(np.float64) ** 2)) == pytest.approx(0.1, rel=1e-4)


def test_fault_filtered_split_sizes():
    split = gtzan_filtered_split()
    assert {k: len(v) for k, v in split.items()} == {"train": 443, "valid": 197, "test": 290}
    assert not set(split["train"]) & set(split["test"])
