"""Layer 5, the paper's analyses: ROI selection, decoding, BAS, Table II, interpretability."""
