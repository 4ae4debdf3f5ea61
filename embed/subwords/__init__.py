"""Subword (fastText) vectors: character n-grams, Facebook's .bin files, vectors for any word."""
