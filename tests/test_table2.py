import numpy as np
import pandas as pd

from banlib.analyses import table2 as t2
from banlib.paper.values import PAPER_TABLE2, TABLE2_ROIS


def test_label_means_respect_the_roi_mask():
    r = np.array([0.1, 0.3, 0.5, 0.7])
    labels = np.array(["L.HG", "L.HG", "R.HS", "other"])
    out = t2.label_means(r, labels, mask=np.array([True, False, True, True]))
    assert out.loc["L.HG", "mean_r"] == 0.1 and out.loc["L.HG", "n"] == 1
    assert out.loc["R.HS", "mean_r"] == 0.5 and np.isnan(out.loc["L.PT", "mean_r"])


def test_summary_and_comparison_with_the_paper():
    # subjects that reproduce the paper's means: no cell differs; a cell is equivalent (within ±.04 r) only where
    # the paper's own sd over 5 subjects leaves room for it
    tables = {}
    for s in range(5):
        tables[f"sub-{s}"] = pd.DataFrame({m: {roi: PAPER_TABLE2[roi][m][0] + (s - 2) * 0.001 for roi in TABLE2_ROIS}
                                           for m in t2.MODELS}).assign(n=10)
    summary = t2.summarise(tables)
    comp = t2.compare_with_paper(summary, 5).set_index(["roi", "model"])
    assert len(comp) == 24 and set(comp.verdict) == {"replicated", "inconclusive"}
    assert comp.loc[("L.LSTG", "genre"), "verdict"] == "replicated"            # paper sd .011
    assert comp.loc[("L.HS", "genre"), "verdict"] == "inconclusive"            # paper sd .079: too wide
    assert t2.ranking_agreement(summary) == 1.0
    far = t2.compare_with_paper(summary.assign(**{f"{m} mean": summary[f"{m} mean"] + 0.2 for m in t2.MODELS}), 5)
    assert (far.verdict == "not replicated").all()
    shown = t2.comparison_display(summary, 5, twin=True)
    assert "calibration" in shown.columns.get_level_values(0) and "verdict" not in shown.columns.get_level_values(0)
    values = t2.table2_values(tables)
    assert len(values["table2_per_subject"]) == 40 and values["table2_replicated_cells"] == (comp.verdict == "replicated").sum()


def test_genre_pca_finds_a_planted_contrast():
    g = np.random.default_rng(0)
    contrast = np.array([1, 1, -1, -1, 0, 0, 0, 0, 0, 0], float)
    W = g.normal(size=(300, 1)) * 3 * contrast + 0.1 * g.normal(size=(300, 10))
    out = t2.genre_pca(W, 2)
    assert abs(np.corrcoef(out["loadings"][0], contrast)[0, 1]) > 0.99 and out["explained"][0] > 0.8
    assert out["scores"].shape == (300, 2)


def test_genre_pca_on_raw_weights_keeps_ten_components_and_normalises_scores_after():
    g = np.random.default_rng(1)
    W = g.normal(size=(200, 10)) * np.linspace(1, 2, 10)
    out = t2.genre_pca(W, 10)
    assert len(out["explained"]) == 10 and out["explained"][-1] > 1e-3          # no degenerate 10th component
    zscored = (W - W.mean(1, keepdims=True)) / W.std(1, keepdims=True)         # the old order: normalise first
    assert t2.genre_pca(zscored, 10)["explained"][-1] < 1e-12
    norm = t2.normalised_scores(out["scores"], [120, 80])
    assert np.allclose(norm[:120].std(axis=0), 1) and np.allclose(norm[120:].std(axis=0), 1)
    assert "PC10" in t2.pca_sentence({"genre_pca_explained": [0.5] * 9 + [0.0]})


def test_genre_distinctness_names_the_lateral_sulcus():
    class Fit:
        class model:
            coef_ = None

    g = np.random.default_rng(2)
    codes = np.array([11133, 11175, 11136, 11134, 11141, 12141, 11138])
    masks = {"s1": np.ones(7, bool)}
    vox = {"s1": pd.DataFrame({"code": codes})}
    fit = Fit()
    fit.model.coef_ = g.normal(size=(30, 7))        # 3 delays x 10 genres, 7 voxels
    fit.model.coef_[:, 4:6] *= 5                    # the sulcus voxels: large spread across genres
    pooled, per_subject = t2.genre_distinctness({"s1": {"BAN": fit}}, masks, vox)
    assert set(pooled) == {"HG", "HS", "PT", "LSTG", "LS"} and pooled["LS"] > pooled["HG"]
    assert per_subject["s1"] == pooled
    table = t2.distinctness_table(pooled, per_subject)
    assert list(table.columns) == ["HS", "LSTG", "HG", "PT", "LS"] and list(table.index) == ["all subjects", "s1"]


def test_model_ranking_follows_the_planted_truth(quick_twin):
    """The encoding models recover the planted tuning. The twin plants, per voxel, a genre drive and an
    acoustic drive (genre voxels carry both); ``oracle_r_genre``/``oracle_r_acoustic`` in its voxel table
    are the test correlations a perfect model of each drive would reach. The genre model's r must follow
    the planted genre drive, MFCC's the acoustic drive, and in each Table II label the winner must follow
    which drive was planted stronger there."""
    from scipy import stats

    from banlib.data.design import clip_table, subject_design
    from banlib.data.dataset import voxel_table
    from banlib.features.labels import genre_onehot
    from banlib.analyses.pipeline import Pipeline
    from banlib.encoding.voxelwise import fit_and_score

    pipe = Pipeline(quick_twin, "quick", 0, "unused")
    spaces = {"genre": genre_onehot(clip_table(quick_twin).genre), "MFCC": pipe.mfcc_features}
    sub = "sub-005"
    vox = voxel_table(quick_twin, sub)
    design = subject_design(quick_twin, sub)
    r = {m: fit_and_score(quick_twin, design, f).r for m, f in spaces.items()}
    truth = vox.truth.to_numpy()
    planted = {"genre": vox.oracle_r_genre.to_numpy(), "MFCC": vox.oracle_r_acoustic.to_numpy()}
    driven = truth != "none"
    assert stats.spearmanr(r["genre"][driven], planted["genre"][driven])[0] > 0.5
    assert stats.spearmanr(r["MFCC"][driven], planted["MFCC"][driven])[0] > 0.4
    assert abs(r["genre"][truth == "none"].mean()) < 0.02 and abs(r["MFCC"][truth == "none"].mean()) < 0.02
    assert r["genre"][truth == "genre"].mean() > r["MFCC"][truth == "genre"].mean() + 0.03
    assert r["MFCC"][truth == "acoustic"].mean() > r["genre"][truth == "acoustic"].mean() + 0.1
    table = t2.subject_table(r, vox.roi).loc[list(TABLE2_ROIS)]
    gap = (vox.groupby("roi").oracle_r_genre.mean() - vox.groupby("roi").oracle_r_acoustic.mean()).loc[list(TABLE2_ROIS)]
    won = table["genre"] - table["MFCC"]
    assert stats.spearmanr(won, gap)[0] > 0.5
    decided = 0
    for roi in TABLE2_ROIS:
        if abs(gap[roi]) > 0.03:               # one drive clearly planted stronger in this label
            decided += 1
            assert (won[roi] > 0) == (gap[roi] > 0), (roi, gap[roi], table.loc[roi])
    assert decided >= 4
