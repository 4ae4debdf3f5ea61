"""Corpus reading, vocabulary, id-stream encoding and teaching batches."""
