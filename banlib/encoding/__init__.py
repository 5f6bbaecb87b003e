"""Layer 3, voxelwise encoding: FIR delays, ridge solvers, significance, fit-and-score on test runs."""
