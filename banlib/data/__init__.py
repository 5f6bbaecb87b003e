"""Layer 1, the data: where files are, how to fetch and read them, and the experiment's design."""
