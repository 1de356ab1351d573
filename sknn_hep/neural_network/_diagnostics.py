"""Per-epoch training diagnostics (``diagnostics=True``): gradients and dead units.

The lectures' habit "monitor the training": vanishing gradients show as
gradient norms that shrink from the last layer to the first; dead units
(a ReLU that never fires, a saturated sigmoid) as hidden units whose output
does not change with the input.
"""

from __future__ import annotations

import numpy as np
import torch
from skorch.callbacks import Callback
from torch import nn

from ..nn.blocks import _ACTIVATION_CLASSES

# Rows of the training set the diagnostics are measured on.
N_ROWS = 1024
# A unit is dead when its output spans less than this over those rows.
DEAD_SPAN = 1e-6


def diagnostic_rows(n_train: int, seed: int) -> np.ndarray:
    """Sorted positions of up to ``N_ROWS`` training rows, drawn with ``seed``.

    numpy draws them, so the torch random stream of the training is untouched.
    """
    if n_train <= N_ROWS:
        return np.arange(n_train)
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(n_train, size=N_ROWS, replace=False))


class TrainingDiagnostics(Callback):
    """Record gradient norms and dead-unit fractions at each epoch end (private).

    On a fixed set of training rows, in evaluation mode (no dropout or noise,
    batch norm with its running statistics, so the training's random stream
    and state are untouched):

    - ``grad_norm_<k>``: L2 norm of the gradient of the weighted mean loss
      with respect to the weights of the k-th linear layer (1 = the first
      hidden layer, the last ones are the output heads: with ``n_ensemble``
      the members' heads together); parameters' ``.grad`` are not touched;
    - ``dead_units_<k>``: fraction of the units of the k-th hidden activation
      whose output spans less than ``DEAD_SPAN`` over the rows (over the
      rows of all ensemble members);
      ``dead_units``: the same over all hidden units.

    Parameters
    ----------
    data : TensorData
        The rows to measure on (training rows).
    """

    def __init__(self, data) -> None:
        self.data = data

    def on_epoch_end(self, net, **kwargs):
        module = net.module_
        data = self.data
        was_training = module.training
        outputs = []
        # the hidden layers' activations (not, e.g., a numeric embedding's)
        body = getattr(module, "body", module)
        hooks = [
            m.register_forward_hook(lambda _m, _i, out: outputs.append(out.detach()))
            for m in body.modules()
            if isinstance(m, tuple(_ACTIVATION_CLASSES.values()))
        ]
        linear_weights = getattr(module, "linear_weights", None)
        weights = (
            linear_weights()
            if linear_weights is not None
            else [m.weight for m in module.modules() if isinstance(m, nn.Linear)]
        )
        module.eval()
        try:
            with torch.enable_grad():
                out = module.logits(data.x, data.x_cat, split=True)
                losses = net.criterion_(out, data.y)
                if data.w is None:
                    loss = losses.mean()
                else:
                    loss = (losses * data.w).sum() / data.w.sum()
                grads = torch.autograd.grad(loss, weights, allow_unused=True)
        finally:
            for hook in hooks:
                hook.remove()
            module.train(was_training)
        for k, grad in enumerate(grads, 1):
            norm = 0.0 if grad is None else float(torch.linalg.vector_norm(grad))
            net.history.record(f"grad_norm_{k}", norm)
        n_dead = n_units = 0
        for k, act in enumerate(outputs, 1):
            span = act.amax(dim=0) - act.amin(dim=0)
            dead = int((span < DEAD_SPAN).sum())
            net.history.record(f"dead_units_{k}", dead / act.shape[1])
            n_dead += dead
            n_units += act.shape[1]
        if n_units:
            net.history.record("dead_units", n_dead / n_units)
