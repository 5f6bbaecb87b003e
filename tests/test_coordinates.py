"""banlib.data.coordinates: matching columns to native voxels, labels, agreement; recovery on the quick twin."""
import dataclasses
import json

import numpy as np
import pandas as pd
import pytest

from banlib.data import coordinates as co


def synthetic_runs(n_runs=3, n_t=120, n_vox=400, n_cols=60, noise=0.3, seed=0):
    """Voxel series per run, and columns that are noisy copies of known voxels, some with a near twin."""
    g = np.random.default_rng(seed)
    X = [g.standard_normal((n_t, n_vox)).astype(np.float32) for _ in range(n_runs)]
    truth = g.choice(n_vox, n_cols, replace=False)
    # voxel truth[0]'s neighbour (truth[0] + 1 in our list) shares most of its series: an ambiguous pair
    near = (truth[0] + 1) % n_vox
    for x in X:
        x[:, near] = 0.97 * x[:, truth[0]] + 0.243 * x[:, near]
    Y = [x[:, truth] + noise * g.standard_normal((n_t, n_cols)).astype(np.float32) for x in X]
    return X, Y, truth


def test_matcher_finds_each_column_and_flags_the_ambiguous_one():
    X, Y, truth = synthetic_runs()
    m = co.ColumnMatcher(co.MatchSettings(screen_runs=1, top_k=4, column_chunk=16, voxel_chunk=64)).fit(Y, X, progress=False)
    assert (m.best_[1:] == truth[1:]).all()
    assert np.all(m.r_[1:] > 0.9) and np.all(m.margin_[1:] > 0.5)
    assert m.margin_[0] < 0.05 and not m.unambiguous_[0]
    assert m.unambiguous_[1:].all()
    s = m.summary()
    assert s["n_columns"] == 60 and s["n_trs"] == 360 and 0.95 < s["share_unambiguous"] < 1
    json.dumps(s, allow_nan=False)
    # callables are read one run at a time and give the same answer
    m2 = co.ColumnMatcher(co.MatchSettings(screen_runs=1, top_k=4)).fit(Y, [lambda x=x: x for x in X], progress=False)
    assert np.array_equal(m2.best_, m.best_) and np.allclose(m2.r_, m.r_)


def test_matcher_verification_uses_every_tr():
    # screening on one run only, where the true voxel is drowned: verification on all runs still finds it
    X, Y, truth = synthetic_runs(n_runs=4, noise=1.5, seed=3)
    m = co.ColumnMatcher(co.MatchSettings(screen_runs=4, top_k=8)).fit(Y, X, progress=False)
    assert (m.best_[1:] == truth[1:]).mean() > 0.95
    r_one = co.ColumnMatcher(co.MatchSettings(screen_runs=1, top_k=8)).fit(Y[:1], X[:1], progress=False).r_
    assert np.median(m.r_) == pytest.approx(np.median(r_one), abs=0.1)


def test_matcher_rejects_mismatched_runs():
    X, Y, _ = synthetic_runs(n_runs=2)
    with pytest.raises(ValueError, match="runs"):
        co.ColumnMatcher().fit(Y, X[:1], progress=False)


def test_order_consistency():
    ijk = np.argwhere(np.ones((3, 4, 5), bool))         # C order
    oc = co.order_consistency(ijk, (3, 4, 5))
    assert oc["c_order"] == 1.0 and oc["fortran_order"] < 1.0
    assert co.order_consistency(ijk[::-1], (3, 4, 5))["c_order"] == 0.0


def test_destrieux_labels_of_planted_points():
    from banlib.data.atlas import cortical_voxels

    vox = cortical_voxels().sample(300, random_state=0)
    code, roi = co.destrieux_labels(vox[["x", "y", "z"]].to_numpy())
    assert np.array_equal(code, vox.code.to_numpy()) and list(roi) == list(vox.roi)
    code, roi = co.destrieux_labels(np.array([[500.0, 0, 0]]))
    assert code[0] == 0 and roi[0] == "other"


def test_agreement_counts_voxel_and_position():
    planted = pd.DataFrame({"i": [1, 2, 3, 4], "j": 0, "k": 0, "x": [0.0, 10, 20, 30], "y": 0.0, "z": 0.0,
                            "code": [11133, 11134, 0, 0], "roi": ["L.HG", "L.LSTG", "other", "other"]})
    rec = planted.copy()
    rec.loc[1, "x"] = 13.0             # 3 mm off
    rec.loc[2, "i"] = 9                # wrong voxel
    rec.loc[3, "code"] = 11133
    a = co.agreement(rec, planted, tol_mm=2.0)
    assert a["share_matched"] == 0.5 and a["share_same_voxel"] == 0.75 and a["share_same_code"] == 0.75
    with pytest.raises(ValueError):
        co.agreement(rec.iloc[:2], planted)


def test_plan_reads_sizes_from_annex_keys(tmp_path):
    from banlib.data.dataset import DataSource

    func = tmp_path / "sub-001" / "func"
    func.mkdir(parents=True)
    (tmp_path / "sub-001" / "anat").mkdir()
    for r in (1, 2):
        (func / f"sub-001_task-Training_run-{r:02d}_bold.nii").symlink_to(
            f"../../.git/annex/objects/xx/MD5E-s{co.RUN_BYTES}--abc.nii/MD5E-s{co.RUN_BYTES}--abc.nii")
    (tmp_path / "sub-001" / "anat" / "sub-001_T1w.nii").write_bytes(b"0" * 1000)
    src = DataSource("openneuro", tmp_path, tmp_path, tmp_path)
    p = co.plan(src, ["sub-001"], n_runs=2)
    assert p["to_download_gb"] == pytest.approx(2 * co.RUN_BYTES / 1e9, abs=0.01)
    assert p["already_here_gb"] == pytest.approx(0.0, abs=0.01)


# ------------------------------------------------------------------------- the twin
@pytest.fixture(scope="module")
def recovered(quick_twin, tmp_path_factory):
    from banlib.twin.raw import raw_subjects

    sub = raw_subjects("quick")[0]
    out = tmp_path_factory.mktemp("coords")
    settings = co.RecoverySettings(n_runs=2)
    table = co.recover_subject(quick_twin, sub, out / "cache", out, settings, progress=False)
    return sub, table, out


def test_recovered_coordinates_match_the_planted_voxel_table(quick_twin, recovered):
    from banlib.data.dataset import voxel_table

    sub, table, out = recovered
    planted = voxel_table(quick_twin, sub)
    a = co.agreement(table, planted, tol_mm=2.0)
    summary = json.loads((out / f"{sub}_voxels.json").read_text())
    print(json.dumps({"agreement": a, "match": summary["match"], "registration": summary["registration"]}, indent=1))
    assert a["share_matched"] >= 0.95, a
    assert summary["match"]["share_unambiguous"] >= 0.95
    assert list(table.columns[:9]) == ["voxel", "i", "j", "k", "x", "y", "z", "code", "roi"]
    assert set(table.roi) <= {"L.HG", "L.HS", "L.PT", "L.LSTG", "R.HG", "R.HS", "R.PT", "R.LSTG", "other"}
    # the TSV is what voxel_table reads for real data
    back = pd.read_csv(out / f"{sub}_voxels.tsv", sep="\t")
    assert len(back) == len(planted) and (back.roi == table.roi).all()


def test_recovery_resumes_from_its_cache(quick_twin, recovered):
    import time

    sub, table, out = recovered
    t = time.time()
    again = co.recover_subject(quick_twin, sub, out / "cache", out, co.RecoverySettings(n_runs=2), progress=False)
    assert time.time() - t < 30
    pd.testing.assert_frame_equal(again, table)


def test_a_cache_of_other_derivative_columns_is_not_reused(quick_twin, recovered, tmp_path):
    """The same cache folder with other derivative matrices (same names, same shape): matched again, and each
    column finds its own voxel (the columns here are the twin's, in another order)."""
    import shutil

    from banlib.data.dataset import load_responses

    sub, table, out = recovered
    original = quick_twin.response_path(sub, "Training")
    stored = np.load(original, allow_pickle=False)
    n_columns = load_responses(quick_twin, sub, "Training").shape[1]
    order = np.random.default_rng(0).permutation(n_columns)
    axis = 1 if stored.shape[1] == n_columns and stored.shape[0] != n_columns else 0
    deriv = tmp_path / "derivative"
    deriv.mkdir()
    np.save(deriv / original.name, np.take(stored, order, axis=axis), allow_pickle=False)
    shutil.copytree(out / "cache", tmp_path / "cache")      # the module's cache stays as the other tests left it
    other = dataclasses.replace(quick_twin, derivatives_root=deriv)
    again = co.recover_subject(other, sub, tmp_path / "cache", tmp_path, co.RecoverySettings(n_runs=2),
                               progress=False)
    same = ["i", "j", "k", "x", "y", "z", "roi"]
    pd.testing.assert_frame_equal(again[same], table[same].iloc[order].reset_index(drop=True))


def test_a_registration_is_read_back_only_for_the_same_images(tmp_path, monkeypatch):
    from banlib.files import content_md5

    epi, t1w = tmp_path / "mean_epi.nii.gz", tmp_path / "T1w.nii.gz"
    epi.write_bytes(b"epi"), t1w.write_bytes(b"t1w")
    out = tmp_path / "registration"
    out.mkdir()
    (out / "epi_t1_0GenericAffine.mat").write_bytes(b"")
    rec = {"settings": dataclasses.asdict(co.RegistrationSettings()), "files": {"epi_to_t1": "epi_t1_0GenericAffine.mat"},
           "inputs": {"mean_epi_md5": content_md5(epi), "t1w_md5": content_md5(t1w)}, "quality": {}}
    (out / "registration.json").write_text(json.dumps(rec))

    class Registering(Exception):
        pass

    def ants():
        raise Registering
    monkeypatch.setattr(co, "_ants", ants)
    assert co.register(epi, t1w, out) == rec
    t1w.write_bytes(b"another subject's T1w")
    with pytest.raises(Registering):
        co.register(epi, t1w, out)
