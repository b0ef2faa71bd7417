"""The models several chapters share are named once (aelib.chapter.SHARED): chapters and
``python -m aelib.train`` ask for them by name, so one name is one model."""

import re
import warnings
from pathlib import Path

import pytest
import torch

from aelib import chapter, train
from aelib.models import ModelConfig

BOOK = Path(__file__).resolve().parent.parent / "book"


@pytest.fixture
def ch(monkeypatch):
    monkeypatch.setattr(warnings, "formatwarning", warnings.formatwarning)  # a chapter sets its own
    threads = torch.get_num_threads()
    yield chapter.Chapter("test", "smoke", record=False)
    torch.set_num_threads(threads)


def test_shared_configs_are_the_tables_at_the_profiles_sizes(ch):
    p = ch.profile
    assert ch.shared_config("unet") == ModelConfig.of("unet", image_size=p.data.image_size, base=p.unet.base,
                                                      depth=p.unet.depth, skips="self")
    assert ch.shared_config("unet_skips").params.skips == "concat"
    assert ch.shared_config("unet_hidden").params.hidden_mlp == tuple(p.unet.hidden_mlp)
    assert ch.shared_config("fc") == ModelConfig.of("fc", image_size=p.fc.image_size, width=p.fc.width,
                                                    n_hidden=p.fc.n_hidden)
    assert (ch.shared_steps("unet"), ch.shared_steps("fc")) == (p.train.steps, p.fc.steps)
    assert train.MODELS is chapter.SHARED


def test_a_variant_of_a_shared_model_changes_only_what_it_names(ch):
    variant = ch.shared_config("unet", image_size=ch.profile.fc.image_size, batchnorm=False)
    unet = ch.shared_config("unet")
    assert variant.image_size == ch.profile.fc.image_size and not variant.params.batchnorm
    assert (variant.params.base, variant.params.depth, variant.params.skips) == \
        (unet.params.base, unet.params.depth, unet.params.skips)
    with pytest.raises(ValueError, match="unknown shared model"):
        ch.shared_config("unet_noskip")


def test_chapters_derive_every_unet_and_fc_autoencoder_from_a_shared_one():
    """A chapter that spelled the canonical U-Net's switches itself could silently train another
    model; it asks for it (or a variant of it) by name instead."""
    spelled = [f"{p.name}: {m.group(0)}" for p in sorted(BOOK.glob("*.py"))
               for m in re.finditer(r"(model_config|ModelConfig(\.of)?)\(\s*(kind=)?[\"'](unet|fc)[\"']",
                                    p.read_text())]
    assert spelled == []


def test_a_longer_run_resumes_the_shared_model_and_keeps_its_rule_record(ch, tiny_images):
    """Chapter.longer_run: the shared U-Net continued to mult x its cap, from the shared model's
    cache, gated under a subject of its own; the shared model's rule record is left as it was."""
    from aelib.data import ImageSet

    ch.profile = ch.profile.with_overrides(**{"train.steps": 4, "train.batch_size": 8, "unet.base": 4})
    ch._datasets[ch.profile.data.image_size] = ImageSet(tiny_images[:24], tiny_images[24:], source="tiny",
                                                        fingerprint="tiny-v1")
    short = ch.shared("unet", 0)
    kept = dict(ch.rule_runs["unet (seed 0)"])
    long = ch.longer_run("unet", 0, 2)
    assert long.steps == 2 * short.steps == 8
    assert long.trained.folder == short.trained.folder and long.trained.resumed_from == short.steps
    assert long.trained.losses[:short.steps] == short.trained.losses
    assert dict(long.curve)[short.steps] == pytest.approx(short.curve[-1][1])
    assert long.subject == "unet, 8 steps" and long.gate().subject == "unet, 8 steps"
    assert ch.rule_runs["unet (seed 0)"] == kept
    assert ch.rule_runs["unet, 8 steps (seed 0)"]["steps"] == 8
    with pytest.raises(ValueError, match="mult"):
        ch.longer_run("unet", 0, 0)
