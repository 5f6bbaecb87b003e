"""Synthesised stand-in for GTZAN: genre-typical arrangements rendered with a GM soundfont.

Each track is a short arrangement (drums, bass, chords, lead) rendered with the General-MIDI
soundfont shipped in ``pretty_midi`` (TimGM6mb) by ``tinysoundfont``. It sounds like (simple) music,
not like GTZAN recordings: no vocals, no production.

Made to be about as confusable as GTZAN:

* **Recipes share what real genres share.** Rock, metal, country and blues draw on the same
  guitar-band instruments and overlapping tempo ranges; disco and pop share beats, harmony and
  keyboards; reggae and hip-hop share slow grooves and sparse bass; jazz and blues share swing,
  walking bass and seventh chords. Only classical has no drums.
* **Tracks vary**: tempo, key, swing, progression, instruments, register, the level of each part
  (mix), a loudness contour (dynamics), and parts that drop out.
* **Tracks borrow**: a track can "sound like" another genre (``like``, chosen by the generator
  from the planted confusion, :func:`banlib.twin.brain.planted_confusion`); each of its musical
  elements then comes from that genre's recipe with probability ``MUSIC_BORROW * blend``.
* **A planted cue** (:data:`CUE`): most blues tracks carry a harmonica riff whose notes stay in a
  fixed register; no other genre uses the harmonica or that riff. It separates blues from jazz,
  which otherwise share most elements, at a known time-frequency place (:func:`cue_band_hz`), so an
  interpretability map can be checked against it.
"""
from __future__ import annotations

import functools
import os
from dataclasses import dataclass

import numpy as np

from ..config import GENRES, GTZAN_SECONDS, SAMPLE_RATE, rng

# chord qualities as semitones above the root
QUALITY = {"maj": (0, 4, 7), "min": (0, 3, 7), "7": (0, 4, 7, 10), "m7": (0, 3, 7, 10),
           "maj7": (0, 4, 7, 11), "5": (0, 7, 12)}
SCALES = {"major": (0, 2, 4, 5, 7, 9, 11), "minor": (0, 2, 3, 5, 7, 8, 10),
          "blues": (0, 3, 5, 6, 7, 10), "penta": (0, 2, 4, 7, 9), "phrygian": (0, 1, 3, 5, 7, 8, 10),
          "dorian": (0, 2, 3, 5, 7, 9, 10)}
# GM drum keys
KICK, RIM, SNARE, CLAP, HAT, OPEN_HAT, CRASH, RIDE = 36, 37, 38, 39, 42, 46, 49, 51
DRUMS = {  # 16 sixteenth-note steps per bar: {key: steps}
    "backbeat": {KICK: (0, 8, 10), SNARE: (4, 12), HAT: (0, 2, 4, 6, 8, 10, 12, 14)},
    "four": {KICK: (0, 4, 8, 12), CLAP: (4, 12), OPEN_HAT: (2, 6, 10, 14), HAT: (0, 4, 8, 12)},
    "boombap": {KICK: (0, 7, 10), SNARE: (4, 12), HAT: (0, 2, 4, 6, 8, 10, 12, 14)},
    "shuffle": {KICK: (0, 8), SNARE: (4, 12), HAT: (0, 3, 4, 7, 8, 11, 12, 15)},
    "ride": {RIDE: (0, 4, 7, 8, 12, 15), HAT: (4, 12), KICK: (0,)},
    "double": {KICK: tuple(range(16)), SNARE: (4, 12), CRASH: (0, 8)},
    "onedrop": {KICK: (8,), RIM: (8,), HAT: (0, 2, 4, 6, 8, 10, 12, 14)},
    "train": {KICK: (0, 8), SNARE: (4, 12), HAT: tuple(range(16))},
}
CUE_CHANNEL = 3
LEAD_TOP = 84          # no lead of any genre goes above this MIDI note (the cue lives above it)


@dataclass(frozen=True)
class Cue:
    """The planted blues cue: a harmonica riff with every note in ``register`` (MIDI, inclusive)."""

    genre: str = "blues"
    program: int = 22                 # GM harmonica
    register: tuple[int, int] = (86, 93)   # D6-A6: fundamentals 1,175-1,760 Hz
    probability: float = 0.85         # share of the genre's tracks that carry it
    velocity: int = 92


CUE = Cue()


def midi_hz(note: float) -> float:
    """Frequency (Hz) of a MIDI note number (A4 = 69 = 440 Hz, equal temperament)."""
    return 440.0 * 2 ** ((note - 69) / 12)


def mel_band_centres(n_mels: int = 64, sr: int = SAMPLE_RATE) -> np.ndarray:
    """Centre frequency (Hz) of each band of :func:`banlib.features.spectral.log_mel` (HTK mel, 0 to sr/2)."""
    top = 2595.0 * np.log10(1.0 + (sr / 2) / 700.0)
    return 700.0 * (10 ** (np.linspace(0.0, top, n_mels + 2)[1:-1] / 2595.0) - 1.0)


def cue_band_hz(cue: Cue = CUE) -> tuple[float, float]:
    """Frequency range (Hz) of the cue's fundamentals, half a semitone either side."""
    return midi_hz(cue.register[0] - 0.5), midi_hz(cue.register[1] + 0.5)


@dataclass(frozen=True)
class Recipe:
    """What a genre's tracks are made of: each field lists the options a track draws from (an option
    repeated is weighted; the first is the genre's signature, see :data:`SIGNATURE`).

    ``tempo``: range (BPM); ``swing``: delay of off-beat eighths (fraction of an eighth); ``scales``: names
    in :data:`SCALES`; ``progressions``: lists of ``(root offset in semitones, chord quality)`` per bar;
    ``drums``: patterns of :data:`DRUMS` (empty: no drums); ``bass`` and ``chords``: playing styles;
    ``*_programs``: General-MIDI programs; ``lead_density``: range of the probability of a lead note on
    each eighth."""
    tempo: tuple[int, int]
    swing: float                 # delay of off-beat 8ths, fraction of an 8th
    scales: tuple[str, ...]
    progressions: tuple          # each a list of (root offset, quality) per bar
    drums: tuple[str, ...]       # () = no drums
    bass: tuple[str, ...]        # root8 | walk | octave | sparse | rootfifth | offbeat | long
    chords: tuple[str, ...]      # block | stab | comp | power | arp | strum
    chord_programs: tuple[int, ...]
    lead_programs: tuple[int, ...]
    bass_programs: tuple[int, ...]
    lead_density: tuple[float, float]   # probability of a note on each 8th (range)


R = Recipe
BLUES12 = [(0, "7"), (5, "7"), (0, "7"), (0, "7"), (5, "7"), (5, "7"), (0, "7"), (0, "7"), (7, "7"), (5, "7"),
           (0, "7"), (7, "7")]
ROCK_PROGS = ([(0, "5"), (5, "5"), (7, "5"), (5, "5")], [(0, "5"), (10, "5"), (5, "5"), (0, "5")],
              [(0, "maj"), (7, "maj"), (9, "min"), (5, "maj")])
POP_PROGS = ([(0, "maj"), (7, "maj"), (9, "min"), (5, "maj")], [(9, "min"), (5, "maj"), (0, "maj"), (7, "maj")],
             [(0, "m7"), (5, "m7")])
GUITARS = (25, 27, 29, 30)           # steel acoustic, clean, overdriven, distortion
RECIPES = {      # option tuples repeat an option to weight it; the first drum/bass/chord style is the genre's own
    "blues": R((68, 112), 0.33, ("blues", "penta"), (BLUES12, [(0, "7"), (5, "7"), (0, "7"), (7, "7")]),
               ("shuffle",), ("walk", "walk", "root8"), ("comp", "comp", "power"),
               (0, 16, 27, 29), (27, 29, 65), (33, 32, 34), (0.35, 0.55)),
    "classical": R((60, 110), 0.0, ("major", "minor"), ([(0, "maj"), (5, "maj"), (7, "7"), (0, "maj")],
                                                        [(0, "maj"), (9, "min"), (2, "min"), (7, "7")],
                                                        [(0, "min"), (5, "min"), (7, "7"), (0, "min")]),
                   (), ("long",), ("arp", "block"), (0, 48, 46, 49), (40, 73, 68, 71, 41), (42, 43, 32), (0.4, 0.65)),
    "country": R((92, 140), 0.0, ("penta", "major"), ([(0, "maj"), (5, "maj"), (7, "maj"), (0, "maj")],
                                                      [(0, "maj"), (0, "maj"), (5, "maj"), (7, "7")], ROCK_PROGS[2]),
                 ("train", "train", "train", "backbeat"), ("rootfifth",), ("strum", "strum", "comp"),
                 (25, 24, 27, 29), (40, 105, 27, 25), (33, 34, 32), (0.4, 0.6)),
    "disco": R((108, 128), 0.0, ("dorian", "major"), ([(0, "m7"), (5, "m7")],
                                                      [(0, "m7"), (10, "maj"), (8, "maj7"), (7, "min")], POP_PROGS[0]),
               ("four",), ("octave",), ("stab", "stab", "block"), (48, 50, 4, 28, 0),
               (81, 61, 56, 54), (38, 39, 33), (0.25, 0.45)),
    "hiphop": R((78, 100), 0.2, ("minor", "dorian"), ([(0, "m7"), (8, "maj7")],
                                                      [(0, "min"), (3, "maj"), (10, "maj"), (5, "min")]),
                ("boombap",), ("sparse",), ("block", "block", "stab"), (4, 5, 89, 11, 0),
                (80, 84, 11, 61), (38, 39, 35, 33), (0.15, 0.35)),
    "jazz": R((96, 176), 0.33, ("dorian", "blues"), ([(2, "m7"), (7, "7"), (0, "maj7"), (9, "7")],
                                                     [(0, "maj7"), (9, "m7"), (2, "m7"), (7, "7")], BLUES12),
              ("ride",), ("walk",), ("comp",), (0, 4, 26, 27), (65, 66, 56, 26, 27), (32, 33), (0.45, 0.7)),
    "metal": R((120, 200), 0.0, ("phrygian", "minor"), ([(0, "5"), (3, "5"), (5, "5"), (1, "5")],
                                                        [(0, "5"), (10, "5"), (8, "5"), (7, "5")], ROCK_PROGS[0]),
               ("double", "double", "double", "backbeat"), ("root8",), ("power",), (30, 29), (30, 29, 81), (34, 33),
               (0.45, 0.7)),
    "pop": R((96, 128), 0.0, ("major", "penta"), POP_PROGS, ("backbeat", "backbeat", "four"), ("octave", "root8"),
             ("block", "block", "strum"), (0, 4, 88, 24, 48), (54, 80, 73, 81, 61), (33, 38, 34), (0.3, 0.5)),
    "reggae": R((64, 92), 0.15, ("major", "minor"), ([(0, "maj"), (5, "maj")], [(0, "min"), (5, "min")], POP_PROGS[0]),
                ("onedrop",), ("offbeat",), ("stab",), (27, 16, 4, 17), (16, 56, 65, 80), (33, 38, 34), (0.2, 0.4)),
    "rock": R((100, 152), 0.0, ("minor", "penta", "major"), ROCK_PROGS, ("backbeat", "backbeat", "backbeat", "train"),
              ("root8", "root8", "rootfifth"), ("power", "power", "strum"), GUITARS + (16,), (29, 30, 27, 81, 25),
              (34, 33), (0.35, 0.6)),
}
# How far a borrowing track's music goes towards the genre it sounds like: each element comes from that
# genre's recipe with probability MUSIC_BORROW * blend. Below 1 so that such a track keeps some of its own
# genre's elements (GTZAN's confusable tracks are ambiguous, not mislabelled); the cortex and the listeners
# use ``blend`` itself (banlib.twin.brain).
MUSIC_BORROW = 0.5
# Share of a genre's own tracks whose drums, bass, chords and instruments are the genre's signature (the
# first option of each recipe tuple) rather than any of the options it shares with other genres.
SIGNATURE = 0.65
ELEMENTS = ("tempo", "swing", "scale", "progression", "drums", "bass", "chords", "chord_program",
            "lead_program", "bass_program", "lead_density")


@functools.lru_cache(maxsize=1)
def soundfont_bytes() -> bytes:
    """The General-MIDI soundfont shipped with ``pretty_midi`` (TimGM6mb.sf2), read once, as bytes."""
    import pretty_midi
    return open(os.path.join(os.path.dirname(pretty_midi.__file__), "TimGM6mb.sf2"), "rb").read()


def _choice(g, options, signature: bool = False):
    """One of ``options``; with ``signature``, the first (the genre's own) with probability
    :data:`SIGNATURE` and otherwise any of them."""
    if signature and g.random() < SIGNATURE:
        return options[0]
    return options[int(g.integers(len(options)))]


def track_plan(genre: str, track: int, seed: int, like: str | None = None, blend: float = 0.0) -> dict:
    """The musical choices of one track: which genre each element comes from, and its value.

    ``like``/``blend``: each element is taken from ``like``'s recipe with probability ``MUSIC_BORROW * blend``;
    the elements kept from ``genre`` are its signature option with probability :data:`SIGNATURE`.
    Returns plain values (recorded in the twin's ``twin_truth/tracks.tsv``)."""
    if genre not in RECIPES or (like is not None and like not in RECIPES):
        raise ValueError(f"unknown genre {genre!r} / {like!r}: choose from {list(GENRES)}")
    g = rng(seed, "twin", "music", genre, track)
    source = {e: (like if like is not None and g.random() < MUSIC_BORROW * blend else genre) for e in ELEMENTS}
    rec = {e: RECIPES[source[e]] for e in ELEMENTS}
    plan = {
        "bpm": float(g.uniform(*rec["tempo"].tempo)),
        "swing": float(rec["swing"].swing * g.uniform(0.6, 1.2)),
        "key": int(g.integers(0, 12)),
        "scale": _choice(g, rec["scale"].scales),
        "progression": int(g.integers(len(rec["progression"].progressions))),
        "drums": _choice(g, rec["drums"].drums, source["drums"] == genre) if rec["drums"].drums else None,
        "bass": _choice(g, rec["bass"].bass, source["bass"] == genre),
        "chords": _choice(g, rec["chords"].chords, source["chords"] == genre),
        "chord_program": int(_choice(g, rec["chord_program"].chord_programs, source["chord_program"] == genre)),
        "lead_program": int(_choice(g, rec["lead_program"].lead_programs, source["lead_program"] == genre)),
        "bass_program": int(_choice(g, rec["bass_program"].bass_programs, source["bass_program"] == genre)),
        "lead_density": float(g.uniform(*rec["lead_density"].lead_density)),
        "variant": int(g.integers(0, 3)),
        # mix and dynamics: a level per part (velocity scale), a loudness contour, parts that drop out
        "levels": [float(x) for x in g.uniform(0.7, 1.1, 4)],        # chords, lead, bass, drums
        "contour": float(g.uniform(-0.3, 0.3)),                        # velocity change over the track
        "register": int(g.choice([-12, 0, 0, 0, 0, 12])),              # chords and lead shifted (octaves)
        "drop_lead": bool(g.random() < 0.1),
        "drop_drums": bool(g.random() < 0.04),
        "cue": bool(genre == CUE.genre and g.random() < CUE.probability),
    }
    plan["progression_source"] = source["progression"]
    plan["sources"] = source
    return plan


def arrange(genre: str, track: int, seed: int, seconds: float = GTZAN_SECONDS, like: str | None = None,
            blend: float = 0.0):
    """Notes of one track: list of ``(onset_s, duration_s, channel, key, velocity)``, programs and plan."""
    plan = track_plan(genre, track, seed, like, blend)
    g = rng(seed, "twin", "music", "notes", genre, track)
    step = 60.0 / plan["bpm"] / 4                 # a sixteenth note, s
    swing, key, variant = plan["swing"], plan["key"], plan["variant"]
    prog = RECIPES[plan["progression_source"]].progressions[plan["progression"] %
                                                           len(RECIPES[plan["progression_source"]].progressions)]
    programs = {0: plan["chord_program"], 1: plan["lead_program"], 2: plan["bass_program"]}
    if plan["cue"]:
        programs[CUE_CHANNEL] = CUE.program
    scale = SCALES[plan["scale"]]
    level = dict(zip((0, 1, 2, 9), plan["levels"]))
    notes = []

    def at(bar, s16):                          # onset of a sixteenth step, with swing on off-8ths
        t = (bar * 16 + s16) * step
        return t + (swing * 2 * step if s16 % 4 == 2 else 0.0)

    def vel(base, channel, t):
        shape = 1.0 + plan["contour"] * (t / seconds - 0.5) * 2
        return int(np.clip(base * level[channel] * shape + g.normal(0, 8), 15, 127))

    def add(t, dur, ch, k, base):
        if ch == CUE_CHANNEL:
            notes.append((t, dur, ch, k, int(np.clip(base + g.normal(0, 6), 40, 127))))
            return
        while ch in (0, 1) and k > LEAD_TOP:        # chords and lead stay below the cue's register
            k -= 12
        notes.append((t, dur, ch, k, vel(base, ch, t)))

    reg = plan["register"]
    n_bars = int(np.ceil(seconds / (16 * step))) + 1
    for bar in range(n_bars):
        root, quality = prog[bar % len(prog)]
        chord = [48 + reg + key % 12 + root + iv for iv in QUALITY[quality]]
        bass_root = 36 + (key + root) % 12
        drums = plan["drums"]
        if drums and not plan["drop_drums"]:
            for k, steps in DRUMS[drums].items():
                for s in steps:
                    if k == KICK and variant == 2 and s == 10:
                        continue
                    add(at(bar, s), step, 9, k, 100 if k in (KICK, SNARE, CLAP) else 70)
            if bar % 4 == 0 and drums != "onedrop":
                add(at(bar, 0), step, 9, CRASH, 90)
        # bass
        b = plan["bass"]
        if b == "root8":
            for s in range(0, 16, 2):
                add(at(bar, s), 1.8 * step, 2, bass_root, 95)
        elif b == "walk":
            tones = [0, QUALITY[quality][1], 7, QUALITY[quality][-1] % 12]
            for i in range(4):
                add(at(bar, 4 * i), 3.6 * step, 2, bass_root + tones[(i + variant) % 4], 90)
        elif b == "octave":
            for s in range(0, 16, 2):
                add(at(bar, s), 1.5 * step, 2, bass_root + (12 if (s // 2) % 2 else 0), 100)
        elif b == "sparse":
            for s in (0, 7, 10):
                add(at(bar, s), 3 * step, 2, bass_root, 110)
        elif b == "rootfifth":
            for s in (0, 8):
                add(at(bar, s), 3 * step, 2, bass_root + (7 if s % 8 else 0), 90)
        elif b == "offbeat":
            for s, iv in ((2, 0), (6, 7), (10, 12), (13, 7)):
                add(at(bar, s), 2.5 * step, 2, bass_root + iv, 105)
        else:  # long
            add(at(bar, 0), 15 * step, 2, bass_root, 70)
        # chords
        c = plan["chords"]
        if c == "block":
            for k in chord:
                add(at(bar, 0), 15.5 * step, 0, k, 60)
        elif c == "stab":
            for s in (4, 12) + ((2, 6, 10, 14) if variant else ()):
                for k in chord:
                    add(at(bar, s), 1.2 * step, 0, k + 12, 75)
        elif c == "comp":
            for s in sorted(g.choice(16, 3, replace=False)):
                for k in chord:
                    add(at(bar, int(s)), 2.5 * step, 0, k + 12, 65)
        elif c == "power":
            for s in range(0, 16, 2):
                for k in chord:
                    add(at(bar, s), 1.6 * step, 0, k, 100)
        elif c == "arp":
            seq = chord + [chord[1] + 12, chord[0] + 12]
            for s in range(0, 16, 2):
                add(at(bar, s), 1.8 * step, 0, seq[(s // 2 + variant) % len(seq)] + 12, 60)
        else:  # strum
            for s in (0, 4, 8, 12):
                for i, k in enumerate(chord):
                    add(at(bar, s) + 0.012 * i, 3 * step, 0, k + 12, 70)
        # lead: a scale walk biased to chord tones, kept below the cue's register
        if not plan["drop_lead"]:
            pitch = 72 + key % 12
            for s in range(0, 16, 2):
                if g.random() < plan["lead_density"]:
                    degree = int(g.integers(-2, 3))
                    pc = (pitch - key) % 12
                    idx = min(range(len(scale)), key=lambda i: abs(scale[i] - pc))
                    idx = (idx + degree) % len(scale)
                    pitch = int(np.clip(60 + reg + key % 12 + scale[idx] + 12 * int(g.integers(0, 2)), 52, LEAD_TOP))
                    add(at(bar, s), step * float(g.choice([1.8, 3.6, 5.5])), 1, pitch, 85)
        # the cue: a two-bar harmonica riff on blues-scale notes inside the register, every other bar pair
        if plan["cue"] and bar % 4 in (0, 1):
            lo, hi = CUE.register
            pcs = [(key + iv) % 12 for iv in SCALES["blues"]]
            allowed = [n for n in range(lo, hi + 1) if n % 12 in pcs]
            for s in (0, 3, 6, 8, 11, 14) if bar % 2 == 0 else (0, 4, 8, 10):
                add(at(bar, s), 2.2 * step, CUE_CHANNEL, int(_choice(g, allowed)), CUE.velocity)
    notes = [n for n in notes if n[0] < seconds]
    return sorted(notes), programs, plan


def render(genre: str, track: int, seed: int, seconds: float = GTZAN_SECONDS, sr: int = SAMPLE_RATE,
           like: str | None = None, blend: float = 0.0) -> np.ndarray:
    """Mono float32 audio of one synthetic track, peak-normalised to 0.9."""
    notes, programs, _ = arrange(genre, track, seed, seconds, like, blend)
    return render_notes(notes, programs, seconds, sr)


def render_notes(notes, programs: dict[int, int], seconds: float, sr: int = SAMPLE_RATE) -> np.ndarray:
    """Render ``(onset_s, duration_s, channel, key, velocity)`` notes with the soundfont; channel 9 is drums."""
    import tinysoundfont

    synth = tinysoundfont.Synth(samplerate=sr)
    sfid = synth.sfload(soundfont_bytes())
    for chan, prog in programs.items():
        synth.program_select(chan, sfid, 0, prog)
    synth.program_select(9, sfid, 128, 0, is_drums=True)
    events = [(on, 1, ch, k, v) for on, dur, ch, k, v in notes] + \
             [(on + dur, 0, ch, k, 0) for on, dur, ch, k, v in notes]
    events.sort()
    n_total = int(round(seconds * sr))
    out = np.zeros(n_total, np.float32)
    pos = 0
    for t, is_on, ch, k, v in events:
        target = min(int(t * sr), n_total)
        if target > pos:
            buf = np.frombuffer(synth.generate(target - pos), dtype=np.float32)
            out[pos:target] = buf.reshape(-1, 2).mean(axis=1)
            pos = target
        if is_on:
            synth.noteon(ch, k, v)
        else:
            synth.noteoff(ch, k)
    if pos < n_total:
        out[pos:] = np.frombuffer(synth.generate(n_total - pos), dtype=np.float32).reshape(-1, 2).mean(axis=1)
    peak = float(np.abs(out).max())
    return (out * (0.9 / peak) if peak > 0 else out).astype(np.float32)
