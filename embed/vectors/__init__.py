"""Trained word vectors: nearest-word queries, analogies, and the files they travel in.

    keyed.py            KeyedVectors (queries, gensim's names, the normalize / _oov_vector hooks)
    topk.py             the numba top-k selection behind every nearest-word query
    io.py               load_vectors / save_vectors: one reader and one writer for every format
    word2vec_format.py  word2vec text and binary
    gensim_format.py    gensim's KeyedVectors: to_gensim, its pickles (declared trusted only)
    npy_format.py       X.npy + X.vocab.tsv
    checks.py           what every reader verifies (no NaN / infinity)
"""
from embed.vectors.gensim_format import PickleWarning, from_gensim, to_gensim
from embed.vectors.io import FORMATS, SUFFIX_FORMAT, load_vectors, save_vectors
from embed.vectors.keyed import KeyedVectors, UnknownWordError
from embed.vectors.npy_format import npy_vocab_path
from embed.vectors.topk import CHUNK, topk_rows
from embed.vectors.word2vec_format import read_word2vec, write_word2vec

__all__ = ["CHUNK", "FORMATS", "KeyedVectors", "PickleWarning", "SUFFIX_FORMAT",
           "UnknownWordError", "from_gensim", "load_vectors", "npy_vocab_path",
           "read_word2vec", "save_vectors", "to_gensim", "topk_rows", "write_word2vec"]
