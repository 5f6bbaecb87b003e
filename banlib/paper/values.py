"""The paper's numbers, transcribed from arXiv 2502.15503 with the section each comes from.

Only what the paper states is here; how the book reads each number is in the methods chapter.
"""
from __future__ import annotations

# Section V-A and Table I: the experiment
N_SUBJECTS = 5
N_GENRES = 10
N_CLIPS = 540
N_TRAINING_CLIPS = 480
N_TEST_CLIPS = 60
CLIPS_PER_GENRE = 54
N_RUNS = 18                     # 12 training + 6 test runs
CLIPS_PER_RUN = 40
TEST_CLIPS_PER_RUN = 10         # each played 4 times in the same order
TEST_REPEATS = 4

# Table I: volumes per subject in the ROI selection's resampling, and the participants
TABLE1_TRAIN_VOLUMES = 4_050
TABLE1_TEST_VOLUMES = 1_350
DEMOGRAPHICS = {"sub-001": ("M", 30, 12), "sub-002": ("M", 30, 12), "sub-003": ("M", 23, 4),
                "sub-004": ("F", 33, 15), "sub-005": ("F", 25, 10)}      # sex, age, music experience (years)

# Section V-B2: genre-ROI size per participant ("473 for participant" is read as sub-004, see methods)
PAPER_ROI_SIZES = {"sub-001": 468, "sub-002": 581, "sub-003": 1_593, "sub-004": 473, "sub-005": 529}

# Section V-E, Fig. 4: brain decoding, averaged over participants
PAPER_DECODING = {"classical": 1.0, "rock": 0.40}
PAPER_CONFUSIONS = {("reggae", "rock"): 0.333, ("rock", "country"): 0.286}
TRIALS_PER_GENRE = 30               # 6 test clips per genre x 5 subjects

# Table II: the eight auditory labels (Destrieux), and the three feature spaces
TABLE2_ROIS = ("L.HG", "L.HS", "L.PT", "L.LSTG", "R.HG", "R.HS", "R.PT", "R.LSTG")
TABLE2_MODELS = ("genre", "MFCC", "BAN")
# encoding accuracy (Pearson r on test runs), mean and sd over the 5 subjects
PAPER_TABLE2 = {
    "L.HG": {"genre": (0.148, 0.023), "MFCC": (0.091, 0.031), "BAN": (0.102, 0.029)},
    "L.HS": {"genre": (0.219, 0.079), "MFCC": (0.102, 0.039), "BAN": (0.171, 0.063)},
    "L.PT": {"genre": (0.127, 0.029), "MFCC": (0.057, 0.018), "BAN": (0.117, 0.039)},
    "L.LSTG": {"genre": (0.081, 0.011), "MFCC": (0.032, 0.008), "BAN": (0.082, 0.013)},
    "R.HG": {"genre": (0.154, 0.021), "MFCC": (0.103, 0.018), "BAN": (0.124, 0.032)},
    "R.HS": {"genre": (0.199, 0.036), "MFCC": (0.108, 0.047), "BAN": (0.146, 0.032)},
    "R.PT": {"genre": (0.117, 0.041), "MFCC": (0.061, 0.022), "BAN": (0.091, 0.045)},
    "R.LSTG": {"genre": (0.103, 0.018), "MFCC": (0.048, 0.011), "BAN": (0.102, 0.021)},
}

# Section V-F: genre maps from the BAN model's weights, 10 principal components
GENRE_MAP_COMPONENTS = 10
DISTINCT_LABELS = ("HS", "LSTG")          # genres "more distinctly represented" here ...
LESS_DISTINCT_LABELS = ("HG", "PT", "LS")  # ... than here; LS: the lateral sulcus (Destrieux Lat_Fis-post)
DISTINCT_EXCEPTED = ("sub-003",)          # "with the exception of sub-03"
# Section V-F: which genres dominate which label in the genre maps
LSTG_GENRES = ("pop", "disco", "country", "hiphop")
HS_GENRE = "blues"
