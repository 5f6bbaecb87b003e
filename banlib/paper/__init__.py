"""Layer 6, the paper itself: its numeric claims, the verdict rules, the scorecard."""
