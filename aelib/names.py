"""What a reader calls each of the book's models.

Chapters name trained models by short identifiers (the cache's names: ``unet_skips``,
``eff_attn_ae``); a gate that fails quotes its subject in the verdict's reason, which readers see on
the first page and in every chapter. :func:`readable` writes those identifiers as words.
"""

from __future__ import annotations

import re

READER_NAMES = {
    "unet": "no-skip U-Net",
    "unet_skips": "skip U-Net",
    "unet_hidden": "hidden-MLP U-Net",
    "unet_nobn": "U-Net without batch norm",
    "unet_b1": "batch-1 U-Net",
    "unet_b8": "batch-8 U-Net",
    "unet_wide": "wide U-Net",
    "unet_wide_deep": "wide + deep U-Net",
    "fc": "FC autoencoder",
    "fc_w384": "FC autoencoder of width 384",
    "mlp": "MLP",
    "attn_unet": "attention U-Net",
    "eff_attn_ae": "efficient-attention autoencoder",
    "dot_attn_ae": "dot-attention autoencoder",
    "dot_attn_only": "dot-attention-only model",
    "x2_photos": "photo model",
}
_WORD = re.compile(r"\b(" + "|".join(sorted(map(re.escape, READER_NAMES), key=len, reverse=True)) + r")\b")


def readable(text: str) -> str:
    """``text`` with every model identifier of :data:`READER_NAMES` written as its reader's name."""
    return _WORD.sub(lambda m: READER_NAMES[m.group(1)], text)
