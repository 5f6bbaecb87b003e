"""Synthesised stand-in for GTZAN: genre-typical arrangements rendered with a GM soundfont.

Each track is a short arrangement (drums, bass, chords, lead) whose tempo, swing, key,
progression, rhythm patterns and instruments follow a genre recipe and vary per track.
It is rendered with the General-MIDI soundfont shipped in ``pretty_midi`` (TimGM6mb) by
``tinysoundfont``. It sounds like (simple) music, not like GTZAN recordings: no vocals,
no production, and genres are far easier to tell apart than in the real corpus.
"""
from __future__ import annotations

import functools
import os
from dataclasses import dataclass

import numpy as np

from ..config import GTZAN_SECONDS, SAMPLE_RATE, rng

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


@dataclass(frozen=True)
class Recipe:
    tempo: tuple[int, int]
    swing: float                 # delay of off-beat 8ths, fraction of an 8th
    scale: str
    progressions: tuple          # each a list of (root offset, quality) per bar
    drums: str | None
    bass: str                    # root8 | walk | octave | sparse | rootfifth | offbeat | long
    chords: str                  # block | stab | comp | power | arp | strum
    chord_programs: tuple[int, ...]
    lead_programs: tuple[int, ...]
    bass_programs: tuple[int, ...]
    lead_density: float          # probability of a note on each 8th


R = Recipe
RECIPES = {
    "blues": R((68, 100), 0.33, "blues", ([(0, "7"), (5, "7"), (0, "7"), (0, "7"), (5, "7"), (5, "7"), (0, "7"),
                                           (0, "7"), (7, "7"), (5, "7"), (0, "7"), (7, "7")],),
               "shuffle", "walk", "comp", (0, 16, 4), (27, 29, 65, 22), (33, 32), 0.45),
    "classical": R((60, 100), 0.0, "major", ([(0, "maj"), (5, "maj"), (7, "7"), (0, "maj")],
                                             [(0, "maj"), (9, "min"), (2, "min"), (7, "7")],
                                             [(0, "min"), (5, "min"), (7, "7"), (0, "min")]),
                   None, "long", "arp", (0, 48, 46, 49), (40, 73, 68, 71, 41), (42, 43), 0.55),
    "country": R((96, 132), 0.0, "penta", ([(0, "maj"), (5, "maj"), (7, "maj"), (0, "maj")],
                                           [(0, "maj"), (0, "maj"), (5, "maj"), (7, "7")]),
                 "train", "rootfifth", "strum", (25, 24, 0), (40, 105, 22, 26), (33, 32), 0.5),
    "disco": R((112, 128), 0.0, "dorian", ([(0, "m7"), (5, "m7")], [(0, "m7"), (10, "maj"), (8, "maj7"), (7, "min")]),
               "four", "octave", "stab", (48, 50, 4, 28), (81, 61, 56, 48), (38, 39, 33), 0.35),
    "hiphop": R((80, 98), 0.2, "minor", ([(0, "m7"), (8, "maj7")], [(0, "min"), (3, "maj"), (10, "maj"), (5, "min")]),
                "boombap", "sparse", "block", (4, 5, 89, 11), (80, 84, 11, 62), (38, 39, 35), 0.25),
    "jazz": R((100, 176), 0.33, "dorian", ([(2, "m7"), (7, "7"), (0, "maj7"), (9, "7")],
                                           [(0, "maj7"), (9, "m7"), (2, "m7"), (7, "7")]),
              "ride", "walk", "comp", (0, 4, 26), (65, 66, 56, 71, 26), (32,), 0.6),
    "metal": R((140, 200), 0.0, "phrygian", ([(0, "5"), (3, "5"), (5, "5"), (1, "5")],
                                             [(0, "5"), (10, "5"), (8, "5"), (7, "5")]),
               "double", "root8", "power", (30, 29), (30, 81), (34, 33), 0.6),
    "pop": R((98, 126), 0.0, "major", ([(0, "maj"), (7, "maj"), (9, "min"), (5, "maj")],
                                       [(9, "min"), (5, "maj"), (0, "maj"), (7, "maj")]),
             "backbeat", "root8", "block", (0, 88, 4, 24), (54, 80, 73, 11), (33, 38), 0.45),
    "reggae": R((66, 90), 0.15, "major", ([(0, "maj"), (5, "maj")], [(0, "min"), (5, "min")],
                                          [(0, "maj"), (7, "maj"), (9, "min"), (5, "maj")]),
                "onedrop", "offbeat", "stab", (27, 16, 17), (16, 56, 65, 22), (33, 38), 0.3),
    "rock": R((108, 150), 0.0, "minor", ([(0, "5"), (5, "5"), (7, "5"), (5, "5")],
                                         [(0, "5"), (10, "5"), (5, "5"), (0, "5")]),
              "backbeat", "root8", "power", (29, 30, 27), (29, 30, 81), (34, 33), 0.45),
}


@functools.lru_cache(maxsize=1)
def soundfont_bytes() -> bytes:
    import pretty_midi
    return open(os.path.join(os.path.dirname(pretty_midi.__file__), "TimGM6mb.sf2"), "rb").read()


def arrange(genre: str, track: int, seed: int, seconds: float = GTZAN_SECONDS):
    """Notes of one track: list of ``(onset_s, duration_s, channel, key, velocity)`` and programs."""
    rec = RECIPES[genre]
    g = rng(seed, "twin", "music", genre, track)
    bpm = g.uniform(*rec.tempo)
    step = 60.0 / bpm / 4                       # a sixteenth note, s
    swing = rec.swing * g.uniform(0.6, 1.2)
    key = int(g.integers(0, 12))
    prog = rec.progressions[int(g.integers(len(rec.progressions)))]
    programs = {0: int(g.choice(rec.chord_programs)), 1: int(g.choice(rec.lead_programs)),
                2: int(g.choice(rec.bass_programs))}
    scale = SCALES[rec.scale]
    variant = int(g.integers(0, 3))             # per-track pattern variation
    notes = []

    def at(bar, s16):                          # onset of a sixteenth step, with swing on off-8ths
        t = (bar * 16 + s16) * step
        return t + (swing * 2 * step if s16 % 4 == 2 else 0.0)

    def vel(base):
        return int(np.clip(base + g.normal(0, 8), 20, 127))

    n_bars = int(np.ceil(seconds / (16 * step))) + 1
    for bar in range(n_bars):
        root, quality = prog[bar % len(prog)]
        chord = [48 + key % 12 + root + iv for iv in QUALITY[quality]]
        bass_root = 36 + (key + root) % 12
        if rec.drums:
            pattern = dict(DRUMS[rec.drums])
            for k, steps in pattern.items():
                for s in steps:
                    if k == KICK and variant == 2 and s == 10:
                        continue
                    notes.append((at(bar, s), step, 9, k, vel(100 if k in (KICK, SNARE, CLAP) else 70)))
            if bar % 4 == 0 and rec.drums != "onedrop":
                notes.append((at(bar, 0), step, 9, CRASH, vel(90)))
        # bass
        if rec.bass == "root8":
            notes += [(at(bar, s), 1.8 * step, 2, bass_root, vel(95)) for s in range(0, 16, 2)]
        elif rec.bass == "walk":
            tones = [0, QUALITY[quality][1], 7, QUALITY[quality][-1] % 12]
            notes += [(at(bar, 4 * b), 3.6 * step, 2, bass_root + tones[(b + variant) % 4], vel(90)) for b in range(4)]
        elif rec.bass == "octave":
            notes += [(at(bar, s), 1.5 * step, 2, bass_root + (12 if (s // 2) % 2 else 0), vel(100)) for s in range(0, 16, 2)]
        elif rec.bass == "sparse":
            notes += [(at(bar, s), 3 * step, 2, bass_root, vel(110)) for s in (0, 7, 10)]
        elif rec.bass == "rootfifth":
            notes += [(at(bar, s), 3 * step, 2, bass_root + (7 if s % 8 else 0), vel(90)) for s in (0, 8)]
        elif rec.bass == "offbeat":
            notes += [(at(bar, s), 2.5 * step, 2, bass_root + iv, vel(105)) for s, iv in ((2, 0), (6, 7), (10, 12), (13, 7))]
        else:  # long
            notes.append((at(bar, 0), 15 * step, 2, bass_root, vel(70)))
        # chords
        if rec.chords == "block":
            notes += [(at(bar, 0), 15.5 * step, 0, k, vel(60)) for k in chord]
        elif rec.chords == "stab":
            notes += [(at(bar, s), 1.2 * step, 0, k + 12, vel(75)) for s in (4, 12) + ((2, 6, 10, 14) if variant else ()) for k in chord]
        elif rec.chords == "comp":
            for s in sorted(g.choice(16, 3, replace=False)):
                notes += [(at(bar, int(s)), 2.5 * step, 0, k + 12, vel(65)) for k in chord]
        elif rec.chords == "power":
            notes += [(at(bar, s), 1.6 * step, 0, k, vel(100)) for s in range(0, 16, 2) for k in chord]
        elif rec.chords == "arp":
            seq = chord + [chord[1] + 12, chord[0] + 12]
            notes += [(at(bar, s), 1.8 * step, 0, seq[(s // 2 + variant) % len(seq)] + 12, vel(60)) for s in range(0, 16, 2)]
        else:  # strum
            notes += [(at(bar, s) + 0.012 * i, 3 * step, 0, k + 12, vel(70)) for s in (0, 4, 8, 12) for i, k in enumerate(chord)]
        # lead: a scale walk biased to chord tones
        pitch = 72 + key % 12
        for s in range(0, 16, 2):
            if g.random() < rec.lead_density:
                degree = int(g.integers(-2, 3))
                pc = (pitch - key) % 12
                idx = min(range(len(scale)), key=lambda i: abs(scale[i] - pc))
                idx = (idx + degree) % len(scale)
                pitch = int(np.clip(60 + key % 12 + scale[idx] + 12 * int(g.integers(0, 2)), 55, 88))
                notes.append((at(bar, s), step * float(g.choice([1.8, 3.6, 5.5])), 1, pitch, vel(85)))
    notes = [n for n in notes if n[0] < seconds]
    return sorted(notes), programs


def render(genre: str, track: int, seed: int, seconds: float = GTZAN_SECONDS,
           sr: int = SAMPLE_RATE) -> np.ndarray:
    """Mono float32 audio of one synthetic track, peak-normalised to 0.9."""
    import tinysoundfont

    notes, programs = arrange(genre, track, seed, seconds)
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
