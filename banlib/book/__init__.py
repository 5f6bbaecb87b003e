"""Layer 8, the book machinery: the notebook runner, results files, run records, the site check."""
