"""Profiles are checked, field by field and as a whole, before anything runs; bad inputs fail with
one message that names the field, the bad value and the fix. Also: AELIB_DATA follows the data set
the resolved profile names, and an image too large for PIL is named like any unreadable image."""

import dataclasses
import json
import os
import subprocess
import sys

import numpy as np
import pytest
import torch
from PIL import Image

from aelib import attention, data, models, profiles
from aelib.data import DataError
from aelib.profiles import ProfileError


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for var in ("AELIB_OVERRIDES", "AELIB_DATA", "AELIB_THREADS"):
        monkeypatch.delenv(var, raising=False)


# --- field rules ---------------------------------------------------------------------------

BAD = [
    ("train.batch_size", 0),
    ("train.lr", -0.1),
    ("data.image_size", 0),
    ("data.image_size", 17),           # not divisible by 2**unet.depth: today a kernel fails deep inside a chapter
    ("data.image_size", 24),           # divisible by 4, but the hidden-MLP U-Net's bottleneck (6) is not by 4
    ("train.steps", 0),
    ("train.steps", True),              # a boolean is not an integer
    ("data.max_train", 0),
    ("seeds", []),
    ("seeds", [0, 0]),
    ("seeds", [-1, 2]),
    ("data.dataset", "imagenet"),
    ("device", "tpu"),
    ("walk.eps_list", [0.0, -0.2]),
    ("walk.eps", -0.1),
    ("walk.small_frac", 1.0),
    ("walk.small_frac", 0),
    ("mem.digits", 1),            # an integer is not a boolean
    ("mem.retrieve_corr", 1.5),
    ("unet.hidden_mlp", [64, 0, 64]),
    ("rep.lr", float("nan")),
    ("fc.image_size", 6),         # chapter 08 builds U-Nets at fc.image_size
    ("mem.image_size", 10),       # and at mem.image_size
    ("attn.unet_depth", 6),       # the attention U-Net at data.image_size 32
    ("attn.unet_base", 12),       # GroupNorm(8) in the attention U-Net
    ("nonin.layers", 6),          # chapter 03's MLP divides nonin.width by 4 per layer
    ("data.path", 3),
]


@pytest.mark.parametrize("field, value", BAD, ids=[f"{f}={v!r}" for f, v in BAD])
def test_bad_override_from_the_environment_names_field_value_and_fix(field, value, monkeypatch):
    monkeypatch.setenv("AELIB_OVERRIDES", json.dumps({field: value}))
    with pytest.raises(ProfileError, match=f"profile field '{field}'") as err:
        profiles.get("cpu")
    msg = str(err.value)
    assert repr(tuple(value) if isinstance(value, list) else value) in msg
    assert "AELIB_OVERRIDES='{" in msg  # the fix, as a setting that works
    fix = json.loads(msg.split("AELIB_OVERRIDES='")[1].split("'")[0])
    monkeypatch.setenv("AELIB_OVERRIDES", json.dumps(fix))
    profiles.get("cpu")  # the suggested fix is itself a valid profile


@pytest.mark.parametrize("field, value", [("train.batch_size", 0), ("train.steps", True), ("data.image_size", 17)])
def test_bad_keyword_override_is_refused_too(field, value):
    with pytest.raises(ProfileError, match=f"'{field}'"):
        profiles.get("smoke", **{field: value})


def test_a_profile_object_is_validated_when_resolved():
    smoke = profiles.PROFILES["smoke"]
    bad = dataclasses.replace(smoke, sections=tuple((k, dataclasses.replace(c, steps=0) if k == "mem" else c)
                                                    for k, c in smoke.sections))
    with pytest.raises(ProfileError, match="'mem.steps'"):
        profiles.get(bad)


@pytest.mark.parametrize("name", sorted(profiles.PROFILES))
def test_shipped_profiles_validate(name):
    prof = profiles.PROFILES[name]
    assert prof.validate() is prof
    assert profiles.get(name) == prof


def test_every_field_has_a_rule():
    for name, f in profiles._fields().items():
        assert f.type in profiles.TYPE_RULES, f"no type rule for {name}: {f.type}"


def test_size_rules_are_exact_not_stricter():
    """Sizes the rules accept build every U-Net of the chapters at them, one forward pass each."""
    prof = profiles.get("smoke", **{"data.image_size": 48, "fc.image_size": 12, "mem.image_size": 4,
                                    "attn.small_size": 6})
    p = prof
    configs = [
        models.ModelConfig.of("unet", image_size=p.data.image_size, base=4, depth=p.unet.depth, hidden_mlp=(8,)),
        models.ModelConfig.of("unet", image_size=p.data.image_size, base=4, depth=p.unet.depth + 1),  # ch 05
        models.ModelConfig.of("unet", image_size=p.fc.image_size, base=4, depth=p.unet.depth),   # ch 08
        models.ModelConfig.of("unet", image_size=p.mem.image_size, base=4, depth=p.unet.depth),  # ch 08
        models.ModelConfig("attn_unet", p.data.image_size, params=attention.AttnUNetParams(           # ch 07
            base=p.attn.unet_base, depth=p.attn.unet_depth, heads=1, dim_head=4, skips="concat")),
        models.ModelConfig("dot_attn_ae", p.attn.small_size,
                           params=attention.ConvAttnParams(maps=8, heads=1, dim_head=4)),
    ]
    with torch.no_grad():
        for cfg in configs:
            x = torch.rand(2, 3, cfg.image_size, cfg.image_size)
            assert models.build(cfg).eval()(x).shape == x.shape


# --- data-dependent checks -----------------------------------------------------------------


def test_n_eval_above_the_heldout_set_is_refused():
    prof = profiles.get("cpu", **{"data.n_eval": 100000})
    with pytest.raises(ProfileError, match="profile field 'data.n_eval'") as err:
        profiles.check_data(prof)
    assert "480 held-out" in str(err.value) and "got 100000" in str(err.value)
    assert "AELIB_OVERRIDES='{\"data.n_eval\": 480}'" in str(err.value)
    assert profiles.check_data(profiles.get("cpu")) == 480


@pytest.mark.parametrize("overrides", [{}, {"data.crop_size": 100, "seed": 3}, {"data.crop_size": 400}])
def test_heldout_size_matches_the_loaded_set(overrides):
    prof = profiles.get("smoke", **overrides, **{"data.image_size": 16})
    assert data.heldout_size(prof) == len(data.load(prof).heldout)


def test_heldout_size_of_an_lsun_array_reads_its_header(tmp_path):
    np.save(tmp_path / "church.npy", np.random.default_rng(0).integers(0, 255, (12, 8, 8, 3), dtype=np.uint8))
    lsun = {"data.dataset": "lsun", "data.path": str(tmp_path / "church.npy")}
    prof = profiles.get("smoke", **lsun, **{"data.n_eval": 2})
    assert data.heldout_size(prof) == len(data.load(prof).heldout) == 2
    with pytest.raises(ProfileError, match="'data.n_eval'"):
        profiles.check_data(profiles.get("smoke", **lsun, **{"data.n_eval": 3}))


def test_heldout_size_is_unknown_without_cheap_access(tmp_path):
    assert data.heldout_size(profiles.get("smoke", **{"data.dataset": "folder", "data.path": str(tmp_path)})) is None
    assert profiles.check_data(profiles.get("smoke", **{"data.dataset": "cifar10", "data.path": str(tmp_path)})) is None


# --- AELIB_THREADS --------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["x", "0", "-2", "1.5"])
def test_bad_thread_count_is_refused(value, monkeypatch):
    monkeypatch.setenv("AELIB_THREADS", value)
    with pytest.raises(ProfileError, match=f"AELIB_THREADS must be a positive integer, got '{value}'"):
        profiles.threads_from_env()


def test_thread_count_from_the_environment(monkeypatch):
    assert profiles.threads_from_env() is None
    monkeypatch.setenv("AELIB_THREADS", "3")
    assert profiles.threads_from_env() == 3


# --- AELIB_DATA follows the resolved data set ----------------------------------------------


def test_aelib_data_applies_to_a_dataset_chosen_by_override(monkeypatch, tmp_path):
    monkeypatch.setenv("AELIB_DATA", str(tmp_path))
    monkeypatch.setenv("AELIB_OVERRIDES", '{"data.dataset": "folder"}')
    assert profiles.get("cpu").data.path == str(tmp_path)
    monkeypatch.delenv("AELIB_OVERRIDES")
    assert profiles.get("smoke", **{"data.dataset": "folder"}).data.path == str(tmp_path)
    assert profiles.get("smoke").data.path is None  # the shipped photos need no path
    assert profiles.get("smoke", **{"data.dataset": "folder", "data.path": "/elsewhere"}).data.path == "/elsewhere"


def test_training_cli_reads_a_relative_aelib_data_for_an_overridden_dataset(tmp_path):
    env = dict(os.environ, AELIB_HOME=str(tmp_path / "home"), AELIB_PROGRESS="0", OMP_NUM_THREADS="1",
               AELIB_DATA="rel/photos")
    env.pop("AELIB_OVERRIDES", None)
    proc = subprocess.run([sys.executable, "-m", "aelib.train", "--profile", "smoke", "--dataset", "folder"],
                          env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert f"{tmp_path / 'rel' / 'photos'} does not exist" in proc.stderr and "Traceback" not in proc.stderr


# --- an image too large for PIL is named ----------------------------------------------------


def test_decompression_bomb_is_named_or_skipped(tmp_path, monkeypatch):
    rng = np.random.default_rng(0)
    for i in range(3):
        Image.fromarray(rng.integers(0, 255, (20, 24, 3), dtype=np.uint8)).save(tmp_path / f"ok{i}.png")
    Image.fromarray(rng.integers(0, 255, (64, 64, 3), dtype=np.uint8)).save(tmp_path / "huge.png")
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)  # 64 x 64 > 2 x 1000: PIL refuses it as a bomb
    with pytest.raises(DataError, match="huge.png"):
        data.load_photos(tmp_path, image_size=16, crop_size=None)
    with pytest.warns(UserWarning, match="skipped 1"):
        s = data.load(profiles.get("smoke", **{"data.dataset": "folder", "data.path": str(tmp_path)}))
    assert len(s.skipped) == 1 and "huge.png" in s.skipped[0]
    assert len(s.train) + len(s.heldout) == 3
