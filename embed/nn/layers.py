"""Layers with forward and backward passes, composed by `Sequential`.

Every layer has the same small interface:

- `forward(x)` returns the output and caches what `backward` needs;
- `backward(grad_out)` takes dL/d(output), stores the parameter gradients and returns dL/dx;
- `params()` / `grads()` list the parameter arrays and their gradients in the same order
  (a gradient is an ndarray of the parameter's shape, or a `SparseGrad` for `Embedding`);
- `train()` / `eval()` switch the mode (only `BatchNorm` behaves differently).

Shapes: a batch is the leading axis, n. Dense and BatchNorm take [n, features]; LRN takes
[n, channels, ...] (channels first).
"""
from __future__ import annotations

import numpy as np

from . import activations as act
from .init import as_rng, gaussian, he_sigma
from .sparse import SparseGrad


class Layer:
    """Base class: a layer without parameters that passes gradients through unchanged."""

    training = True

    def forward(self, x):
        raise NotImplementedError

    def backward(self, grad_out):
        raise NotImplementedError

    def params(self) -> list:
        return []

    def grads(self) -> list:
        return []

    def train(self):
        self.training = True
        return self

    def eval(self):
        self.training = False
        return self

    def __call__(self, x):
        return self.forward(x)


class Dense(Layer):
    """Fully connected layer y = x W + b, with W [in_dim, out_dim] and b [out_dim].

    W is drawn from N(0, sigma²), sigma defaulting to He's sqrt(2 / in_dim); b starts at 0.
    """

    def __init__(self, in_dim: int, out_dim: int, sigma=None, seed=None, dtype=np.float32):
        sigma = he_sigma(in_dim) if sigma is None else sigma
        self.W = gaussian((in_dim, out_dim), sigma, seed, dtype)
        self.b = np.zeros(out_dim, dtype=dtype)
        self.dW = np.zeros_like(self.W)
        self.db = np.zeros_like(self.b)
        self._x = None

    def forward(self, x):
        self._x = x
        return x @ self.W + self.b

    def backward(self, grad_out):
        x = self._x.reshape(-1, self.W.shape[0])
        g = grad_out.reshape(-1, self.W.shape[1])
        self.dW = (x.T @ g).astype(self.W.dtype, copy=False)
        self.db = g.sum(axis=0).astype(self.b.dtype, copy=False)
        return grad_out @ self.W.T

    def params(self):
        return [self.W, self.b]

    def grads(self):
        return [self.dW, self.db]


class Embedding(Layer):
    """Lookup table W [num_embeddings, dim]: `forward(ids)` returns W[ids].

    `ids` is an int array of any shape ([n] or [n, context]); the output has shape
    ids.shape + (dim,). The gradient is row-sparse: `backward` stores a `SparseGrad` over exactly
    the looked-up rows (repeats kept; optimizers sum them), so a batch touches only its own rows.
    There is no gradient with respect to integer ids, so `backward` returns None.
    """

    def __init__(self, num_embeddings: int, dim: int, sigma=0.01, seed=None, dtype=np.float32):
        self.W = gaussian((num_embeddings, dim), sigma, seed, dtype)
        self.dim = dim
        self.grad = None
        self._ids = None

    def forward(self, ids):
        ids = np.asarray(ids)
        if ids.dtype.kind not in "iu":
            raise TypeError(f"Embedding ids must be integers, got {ids.dtype}")
        self._ids = ids
        return self.W[ids]

    def backward(self, grad_out):
        self.grad = SparseGrad(
            rows=self._ids.ravel(),
            values=np.ascontiguousarray(grad_out, dtype=self.W.dtype).reshape(-1, self.dim),
        )
        return None

    def params(self):
        return [self.W]

    def grads(self):
        return [self.grad]


class Activation(Layer):
    """Elementwise activation layer from a (function, derivative) pair."""

    name = None

    def __init__(self, name=None):
        self.name = name or self.name
        self.f, self.df = act.ACTIVATIONS[self.name]
        self._x = None

    def forward(self, x):
        self._x = x
        return self.f(x)

    def backward(self, grad_out):
        return grad_out * self.df(self._x)


class ReLU(Activation):
    name = "relu"


class Sigmoid(Activation):
    name = "sigmoid"


class Tanh(Activation):
    name = "tanh"


class Softplus(Activation):
    name = "softplus"


class Softmax(Layer):
    """Softmax over the last axis (for use inside a network; for classification prefer feeding
    logits to `losses.softmax_cross_entropy`, which fuses the two and is more stable)."""

    def forward(self, x):
        self._s = act.softmax(x, axis=-1)
        return self._s

    def backward(self, grad_out):
        return act.softmax_backward(self._s, grad_out, axis=-1)


class BatchNorm(Layer):
    """Batch normalisation over the features of [n, features] inputs (Ioffe & Szegedy 2015).

    Training mode: x̂ = (x - mean_batch) / sqrt(var_batch + eps), y = gamma x̂ + beta, and the
    running statistics move as running = (1 - momentum) running + momentum batch_stat
    (the batch variance enters the running variance unbiased, n / (n - 1), as in PyTorch).
    Eval mode normalises with the running statistics instead, so a single example can be scored.
    """

    def __init__(self, dim: int, eps=1e-5, momentum=0.1, dtype=np.float32):
        self.eps = eps
        self.momentum = momentum
        self.gamma = np.ones(dim, dtype=dtype)
        self.beta = np.zeros(dim, dtype=dtype)
        self.dgamma = np.zeros_like(self.gamma)
        self.dbeta = np.zeros_like(self.beta)
        self.running_mean = np.zeros(dim, dtype=dtype)
        self.running_var = np.ones(dim, dtype=dtype)

    def forward(self, x):
        if self.training:
            n = x.shape[0]
            if n < 2:
                raise ValueError("BatchNorm needs at least 2 examples per batch in training mode")
            mean = x.mean(axis=0)
            var = x.var(axis=0)
            m = self.momentum
            self.running_mean *= 1 - m
            self.running_mean += m * mean
            self.running_var *= 1 - m
            self.running_var += m * var * (n / (n - 1))
        else:
            mean, var = self.running_mean, self.running_var
        self._inv_std = 1.0 / np.sqrt(var + self.eps)
        self._xhat = (x - mean) * self._inv_std
        self._train_pass = self.training
        return self.gamma * self._xhat + self.beta

    def backward(self, grad_out):
        xhat = self._xhat
        self.dgamma = (grad_out * xhat).sum(axis=0).astype(self.gamma.dtype, copy=False)
        self.dbeta = grad_out.sum(axis=0).astype(self.beta.dtype, copy=False)
        dxhat = grad_out * self.gamma
        if not self._train_pass:
            return dxhat * self._inv_std
        # Mean and variance depend on every example, which gives the two correction terms.
        n = grad_out.shape[0]
        return (self._inv_std / n) * (
            n * dxhat - dxhat.sum(axis=0) - xhat * (dxhat * xhat).sum(axis=0)
        )

    def params(self):
        return [self.gamma, self.beta]

    def grads(self):
        return [self.dgamma, self.dbeta]


def _window_sum(a, axis, n, before):
    """Σ a[j] over the window j ∈ [i - before, i - before + n - 1] along `axis`, zero-padded."""
    pad = [(0, 0)] * a.ndim
    pad[axis] = (before, n - 1 - before)
    # Prefix sums in float64: differences of long float32 running sums would lose digits.
    c = np.cumsum(np.pad(a, pad), axis=axis, dtype=np.float64)
    zero = np.zeros_like(np.take(c, [0], axis=axis))
    c = np.concatenate([zero, c], axis=axis)
    size = a.shape[axis]
    out = np.take(c, np.arange(n, n + size), axis=axis) - np.take(c, np.arange(size), axis=axis)
    return out.astype(a.dtype, copy=False)


class LRN(Layer):
    """Local Response Normalization (Krizhevsky et al. 2012), as the Keras LRN layer defines it:

        y = x / (k + (alpha / N) Σ_window x²) ** beta

    `mode="across"`: the window is the n neighbouring channels (axis 1) at the same position,
    N = n; input [batch, channels, ...]. `mode="within"`: the window is the n × n (or n, for 1-D)
    spatial neighbourhood inside the same channel, N = n ** spatial_dims; input
    [batch, channels, length] or [batch, channels, height, width]. Windows are zero-padded at the
    edges and centred (half = n // 2 before the position). Defaults alpha=1e-4, k=1, beta=0.75,
    n=5 are the Keras layer's.
    """

    def __init__(self, alpha=1e-4, k=1.0, beta=0.75, n=5, mode="across"):
        if mode not in ("across", "within"):
            raise ValueError(f"LRN mode must be 'across' or 'within', got {mode!r}")
        self.alpha, self.k, self.beta, self.n, self.mode = alpha, k, beta, int(n), mode

    def _axes(self, x):
        if self.mode == "across":
            if x.ndim < 2:
                raise ValueError("across-channel LRN needs input [batch, channels, ...]")
            return (1,)
        if x.ndim not in (3, 4):
            raise ValueError("within-channel LRN needs input [batch, channels, L] or [b, c, H, W]")
        return tuple(range(2, x.ndim))

    def _wsum(self, a, axes, transpose=False):
        half = self.n // 2
        before = self.n - 1 - half if transpose else half
        for ax in axes:
            a = _window_sum(a, ax, self.n, before)
        return a

    def forward(self, x):
        axes = self._axes(x)
        self._axes_used = axes
        self._norm = self.alpha / self.n ** len(axes)
        s = self.k + self._norm * self._wsum(x * x, axes)
        self._x, self._s = x, s
        return x * s ** -self.beta

    def backward(self, grad_out):
        x, s, b = self._x, self._s, self.beta
        # y_i = x_i s_i^-β with s_i = k + c Σ_{j ∈ W(i)} x_j²; x_j feeds every s_i whose window
        # holds j, which is the transposed window sum.
        back = self._wsum(grad_out * x * s ** (-b - 1), self._axes_used, transpose=True)
        return grad_out * s ** -b - 2.0 * b * self._norm * x * back


class Residual(Layer):
    """Identity shortcut around a block: y = x + block(x) (He et al. 2016).

    The block must map its input shape to itself; dL/dx = g + block.backward(g).
    """

    def __init__(self, block: Layer):
        self.block = block

    def forward(self, x):
        return x + self.block.forward(x)

    def backward(self, grad_out):
        return grad_out + self.block.backward(grad_out)

    def params(self):
        return self.block.params()

    def grads(self):
        return self.block.grads()

    def train(self):
        self.training = True
        self.block.train()
        return self

    def eval(self):
        self.training = False
        self.block.eval()
        return self


class Sequential(Layer):
    """Layers applied in order; backward runs them in reverse."""

    def __init__(self, layers):
        self.layers = list(layers)

    def forward(self, x):
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def backward(self, grad_out):
        for layer in reversed(self.layers):
            grad_out = layer.backward(grad_out)
        return grad_out

    def params(self):
        return [p for layer in self.layers for p in layer.params()]

    def grads(self):
        return [g for layer in self.layers for g in layer.grads()]

    def train(self):
        self.training = True
        for layer in self.layers:
            layer.train()
        return self

    def eval(self):
        self.training = False
        for layer in self.layers:
            layer.eval()
        return self

    def __getitem__(self, i):
        return self.layers[i]

    def __len__(self):
        return len(self.layers)


def residual_mlp(in_dim: int, out_dim: int, width=16, depth=2, widen=1, seed=None,
                 dtype=np.float32) -> Sequential:
    """A residual MLP; `widen` is the Wide-ResNet width multiplier k (Zagoruyko & Komodakis 2016).

    Dense(in, width·k) → depth × Residual(BatchNorm → ReLU → Dense → BatchNorm → ReLU → Dense)
    → ReLU → Dense(width·k, out). widen=1 is the plain pre-activation ResNet MLP; widen=k keeps
    the depth and multiplies every hidden width by k.
    """
    rng = as_rng(seed)
    h = int(width * widen)
    layers = [Dense(in_dim, h, seed=rng, dtype=dtype)]
    for _ in range(depth):
        layers.append(Residual(Sequential([
            BatchNorm(h, dtype=dtype), ReLU(), Dense(h, h, seed=rng, dtype=dtype),
            BatchNorm(h, dtype=dtype), ReLU(), Dense(h, h, seed=rng, dtype=dtype),
        ])))
    layers += [ReLU(), Dense(h, out_dim, seed=rng, dtype=dtype)]
    return Sequential(layers)
