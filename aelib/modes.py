"""Train or eval mode for the length of a ``with`` block, the model's own mode restored afterwards.

Train mode and eval mode differ only in layers such as BatchNorm (statistics of the batch against
running averages) and dropout. Every place that needs a given mode for a moment uses
:func:`in_mode`, so that a shared model is always handed back as it came.
"""

from __future__ import annotations

from contextlib import contextmanager


@contextmanager
def in_mode(model, training: bool):
    """``model`` in train mode (``training=True``) or eval mode inside the block, its previous mode
    restored on exit, also after an exception. ``model`` is a ``torch.nn.Module`` or anything with
    its ``training`` flag and ``train(mode)`` method (e.g. :class:`aelib.batchnorm.Modes`)."""
    was_training = model.training
    model.train(training)
    try:
        yield model
    finally:
        model.train(was_training)
