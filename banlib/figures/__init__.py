"""Layer 7, figures and tables for the book: provenance footer, heat maps, surfaces, spectrograms."""
