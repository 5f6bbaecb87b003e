import pytest

from banlib import read_events
from banlib.config import GENRES
from banlib.data.dataset import TASKS
from banlib.data.design import clip_table
from banlib.data.events import EventsError, normalise_genre


def test_real_events_normalise_to_the_design(real_metadata):
    for sub in ("sub-001", "sub-003"):
        clips = clip_table(real_metadata, sub)
        assert sorted(clips.genre.unique()) == list(GENRES)
        assert len(clips) == 540
        assert (clips.split == "Training").sum() == 480
        assert (clips.split == "Test").sum() == 60
        assert (clips.groupby("genre").size() == 54).all()


def test_quirky_rows_are_normalised(tmp_path):
    p = tmp_path / "x_events.tsv"
    p.write_bytes(b"onset\tduration\tgenre\ttrack\tstart\tend\r\n"
                  b"0\t15\t'pop'\t3\t1.5\t16.5\r\n"
                  b"15\t15\tclassical'\t12\t0.4\t15.4\r\n"
                  b"30\t15\t \"Jazz\" \t7\t2\t17\r\n"
                  b"45\t15\thip-hop\t1\t2\t17\n")
    ev = read_events(p)
    assert list(ev.genre) == ["pop", "classical", "jazz", "hiphop"]
    assert list(ev.columns) == ["onset", "duration", "genre", "track", "start", "end"]
    assert ev.track.dtype.kind == "i" and ev.start.iloc[1] == pytest.approx(0.4)


def test_unknown_genre_names_file_and_line(tmp_path):
    p = tmp_path / "bad_events.tsv"
    p.write_text("onset\tduration\tgenre\ttrack\tstart\tend\n0\t15\t'pop'\t1\t0\t15\n15\t15\t'polka'\t2\t0\t15\n")
    with pytest.raises(EventsError, match=r"bad_events\.tsv, line 3: unknown genre"):
        read_events(p)


def test_normalise_genre_rejects_garbage():
    with pytest.raises(KeyError):
        normalise_genre("'blue'")


def test_twin_files_and_columns_match_real(real_metadata, quick_twin):
    for sub in ("sub-001", "sub-005"):
        real = sorted(p.name for p in (real_metadata.bids_root / sub / "func").iterdir())
        # the copy of the real metadata holds no images (they are annexed content); the twin's raw subject has them
        twin = sorted(p.name for p in (quick_twin.bids_root / sub / "func").iterdir() if not p.name.endswith(".nii"))
        assert real == twin
    for task in TASKS:
        r = read_events(real_metadata.events_path("sub-002", task, 1))
        t = read_events(quick_twin.events_path("sub-002", task, 1))
        assert list(r.columns) == list(t.columns) and len(r) == len(t)
    # the quirks are reproduced: CRLF and three rows without the leading quote in training run 4
    raw = quick_twin.events_path("sub-001", "Training", 4).read_bytes()
    assert b"\r\n" in raw
    assert sum(line.split(b"\t")[2][:1] != b"'" for line in raw.splitlines()[1:]) == 3


HEADER = "onset\tduration\tgenre\ttrack\tstart\tend\n"


@pytest.mark.parametrize("body, why", [
    ("0\t15\t'pop'\t3\t1.5\t16.5\n15\t15\t'pop'\t4\tnan\t16.5\n", r"line 3: start is 'nan', not a finite number"),
    ("0\t15\t'pop'\t3\t1.5\tinf\n", r"line 2: end is 'inf', not a finite number"),
    ("0\t15\t'pop'\t3.5\t1.5\t16.5\n", r"line 2: track is '3.5', not a whole number"),
    ("0\t15\t'pop'\t-3\t1.5\t16.5\n", r"line 2: track is negative"),
    ("-15\t15\t'pop'\t3\t1.5\t16.5\n", r"line 2: onset is negative"),
    ("0\t15\t'pop'\t100\t1.5\t16.5\n", r"line 2: track 100 is not a GTZAN track number"),
    ("0\t15\t'pop'\t3\t16.5\t1.5\n", r"line 2: end 1.5 is not after start 16.5"),
])
def test_values_that_cannot_be_trusted_are_refused_with_file_and_line(tmp_path, body, why):
    p = tmp_path / "sub-001_task-Training_run-01_events.tsv"
    p.write_text(HEADER + body)
    with pytest.raises(EventsError, match=rf"run-01_events\.tsv, {why}"):
        read_events(p)


def test_a_column_given_twice_is_refused(tmp_path):
    p = tmp_path / "x_events.tsv"
    p.write_text("onset\tduration\tgenre\ttrack\tstart\tend\ttrack\n0\t15\t'pop'\t3\t1.5\t16.5\t7\n")
    with pytest.raises(EventsError, match=r"x_events\.tsv, line 1: column\(s\) \['track'\] appear more than once"):
        read_events(p)


@pytest.mark.parametrize("encoding, why", [("latin-1", r"line 3: byte 0xe9 is not UTF-8"),
                                            ("utf-16", "encoded as UTF-16")])
def test_another_encoding_is_named_with_file_and_line(tmp_path, encoding, why):
    p = tmp_path / "x_events.tsv"
    p.write_bytes((HEADER + "0\t15\t'pop'\t3\t1.5\t16.5\n15\t15\t'pop'\t4\t1.5\t16.5\t# café\n").encode(encoding))
    with pytest.raises(EventsError, match=rf"x_events\.tsv.*{why}"):
        read_events(p)
