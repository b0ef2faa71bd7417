"""Faults a long run must survive, and bad inputs that must fail clearly (never silently).

A real kill: ``python -m aelib.train`` is SIGKILLed at a random moment after it wrote a
checkpoint, then started again; it must resume and end with exactly the weights of an
uninterrupted run."""

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from aelib import data
from aelib.data import DataError
from aelib.training import load_checkpoint

STEPS = 300


def _train_cmd(*extra):
    return [sys.executable, "-m", "aelib.train", "--profile", "smoke", "--model", "unet", "--seed", "0", *extra]


def _env(home):
    return dict(os.environ, AELIB_HOME=str(home), AELIB_PROGRESS="0", OMP_NUM_THREADS="1")


def _final(home):
    (path,) = list(Path(home).glob(f"cache/unet-*/step_{STEPS:07d}.pt"))
    return load_checkpoint(path)


@pytest.mark.slow
def test_killed_run_resumes_to_the_uninterrupted_weights(tmp_path):
    ref_home, kill_home = tmp_path / "ref", tmp_path / "killed"
    subprocess.run(_train_cmd("--steps", str(STEPS)), env=_env(ref_home), check=True, capture_output=True, timeout=600)
    proc = subprocess.Popen(_train_cmd("--steps", str(STEPS)), env=_env(kill_home),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 300
    while not list(kill_home.glob("cache/unet-*/last.pt")):
        assert proc.poll() is None and time.time() < deadline, "the run ended before writing a checkpoint"
        time.sleep(0.05)
    time.sleep(random.Random(0).uniform(0.0, 0.5))  # a random moment after the first checkpoint
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not list(kill_home.glob(f"cache/unet-*/step_{STEPS:07d}.pt")), "killed too late to test anything"
    rerun = subprocess.run(_train_cmd("--steps", str(STEPS)), env=_env(kill_home), capture_output=True, text=True,
                           timeout=600)
    assert rerun.returncode == 0, rerun.stderr
    ref, resumed = _final(ref_home), _final(kill_home)
    assert ref["model"].keys() == resumed["model"].keys()
    assert all(torch.equal(ref["model"][k], resumed["model"][k]) for k in ref["model"])
    assert ref["losses"] == resumed["losses"]


@pytest.mark.parametrize("args, message", [
    (["--profile", "laptop"], "unknown profile 'laptop'"),
    (["--profile", "smoke", "--model", "vit"], "unknown model 'vit'"),
    (["--profile", "smoke", "--steps", "-3"], "must not be negative"),
    (["--profile", "smoke", "--dataset", "folder", "--data", "/nonexistent/photos"], "does not exist"),
    (["--profile", "smoke", "--dataset", "imagenet", "--data", "/tmp"], "'data.dataset' must be one of 'photos'"),
])
def test_training_cli_rejects_bad_input_clearly(args, message, tmp_path):
    proc = subprocess.run([sys.executable, "-m", "aelib.train", *args], env=_env(tmp_path), capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 2 and message in proc.stderr and "Traceback" not in proc.stderr


def test_wrong_size_image_is_named_or_skipped_and_counted(tmp_path):
    rng = np.random.default_rng(0)
    for i in range(3):
        Image.fromarray(rng.integers(0, 255, (60, 80, 3), dtype=np.uint8)).save(tmp_path / f"ok{i}.png")
    Image.fromarray(rng.integers(0, 255, (6, 6, 3), dtype=np.uint8)).save(tmp_path / "tiny.png")
    with pytest.raises(DataError, match="tiny.png: 6x6 pixels is smaller"):
        data.load_photos(tmp_path, image_size=32, crop_size=None)
    with pytest.warns(UserWarning, match="skipped 1"):
        s = data.load_photos(tmp_path, image_size=32, crop_size=None, skip_corrupt=True)
    assert len(s.skipped) == 1


def test_sixteen_bit_and_palette_images_load_as_rgb(tmp_path):
    Image.fromarray((np.arange(48 * 48).reshape(48, 48) * 20).astype(np.uint16)).save(tmp_path / "deep.png")
    Image.new("P", (48, 48)).save(tmp_path / "pal.png")
    s = data.load_photos(tmp_path, image_size=16, crop_size=None, heldout_fraction=0.5)
    assert s.train.dtype == torch.uint8 and s.train.shape[1] == 3


def test_unreadable_npy_and_unknown_dataset_are_clear_errors(tmp_path):
    (tmp_path / "x.npy").write_bytes(b"garbage")
    with pytest.raises(DataError, match="x.npy"):
        data.load_lsun_npy(tmp_path / "x.npy")


@pytest.mark.parametrize("env, message", [
    ({"AELIB_THREADS": "x"}, "AELIB_THREADS must be a positive integer, got 'x'"),
    ({"AELIB_OVERRIDES": '{"data.n_eval": 100000}'},
     "profile field 'data.n_eval' must be at most the 480 held-out images"),
])
def test_training_cli_checks_environment_and_data_before_training(env, message, tmp_path):
    proc = subprocess.run(_train_cmd(), env=dict(_env(tmp_path), **env), capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and message in proc.stderr and "Traceback" not in proc.stderr
    assert not list(tmp_path.glob("cache/*")), "refused only after training started"
