import numpy as np

from banlib.config import SAMPLE_RATE
from banlib.features.mfcc import FEATURE_NAMES, clip_mfcc

SR = SAMPLE_RATE
T = np.arange(int(15 * SR)) / SR


def test_shape_and_names():
    wave = (0.1 * np.sin(2 * np.pi * 440 * T)).astype(np.float32)
    f = clip_mfcc(wave)
    assert f.shape == (10, len(FEATURE_NAMES)) == (10, 32) and np.isfinite(f).all()


def test_chroma_finds_the_pitch_class_of_a_tone():
    for freq, name in ((440.0, "chroma_A"), (261.63, "chroma_C"), (329.63, "chroma_E")):
        f = clip_mfcc((0.1 * np.sin(2 * np.pi * freq * T)).astype(np.float32))
        chroma = [i for i, n in enumerate(FEATURE_NAMES) if n.startswith("chroma_")]
        assert FEATURE_NAMES[chroma[int(np.argmax(f[:, chroma].mean(0)))]] == name


def test_rhythm_band_and_loudness_follow_the_signal():
    clicks = np.zeros_like(T)
    period = int(60 / 130 * SR)                 # 130 BPM, inside the 120-140 band
    for k in range(0, len(T), period):
        clicks[k:k + 200] = np.hanning(400)[200:] * np.sin(2 * np.pi * 2000 * T[:200])
    f = clip_mfcc(clicks.astype(np.float32))
    tempo = [i for i, n in enumerate(FEATURE_NAMES) if n.startswith("tempo_")]
    best = FEATURE_NAMES[tempo[int(np.argmax(f[:, tempo].mean(0)))]]
    assert best == "tempo_120-140bpm", best
    quiet = clip_mfcc((0.01 * np.sin(2 * np.pi * 440 * T)).astype(np.float32))
    loud = clip_mfcc((0.1 * np.sin(2 * np.pi * 440 * T)).astype(np.float32))
    rms = FEATURE_NAMES.index("rms_db")
    np.testing.assert_allclose(loud[:, rms] - quiet[:, rms], 20.0, atol=0.5)
