"""Skip-gram and CBOW word2vec models trained by numba kernels."""
