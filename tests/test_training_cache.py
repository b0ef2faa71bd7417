import pytest
import torch

from aelib import cache, models
from aelib.data import ImageSet
from aelib.models import ModelConfig
from aelib.seeding import set_seed
from aelib.training import CheckpointError, TrainConfig, load_checkpoint, save_checkpoint, train

CFG = ModelConfig(kind="unet", image_size=16, base=4, depth=2)


def _data(images):
    return ImageSet(images[:24], images[24:], source="tiny", fingerprint="tiny-v1")


def _weights(model):
    return {k: v.clone() for k, v in model.state_dict().items()}


def _same(w1, w2):
    return w1.keys() == w2.keys() and all(torch.equal(w1[k], w2[k]) for k in w1)


def test_miss_then_hit(tiny_images):
    data = _data(tiny_images)
    tc = TrainConfig(steps=6, batch_size=8, checkpoint_every=2)
    first = cache.trained("m", CFG, data, tc)
    assert not first.hit and first.resumed_from == 0 and len(first.losses) == 6
    second = cache.trained("m", CFG, data, tc)
    assert second.hit and second.folder == first.folder
    assert _same(_weights(first.model), _weights(second.model))


def test_key_changes_with_data_config_and_training(tiny_images):
    data = _data(tiny_images)
    tc = TrainConfig(steps=4, batch_size=8)
    k = cache.run_key(CFG, data, tc)
    assert cache.run_key(CFG, data, TrainConfig(steps=9, batch_size=8)) == k  # steps: same run, longer
    assert cache.run_key(CFG, data, TrainConfig(steps=4, batch_size=8, lr=1e-4)) != k
    assert cache.run_key(ModelConfig(kind="unet", image_size=16, base=8, depth=2), data, tc) != k
    other = ImageSet(data.train, data.heldout, source="tiny", fingerprint="tiny-v2")
    assert cache.run_key(CFG, other, tc) != k


def test_longer_run_resumes_from_the_shorter_one_and_matches_a_fresh_run(tiny_images, tmp_path, monkeypatch):
    data = _data(tiny_images)
    cache.trained("m", CFG, data, TrainConfig(steps=4, batch_size=8))
    longer = cache.trained("m", CFG, data, TrainConfig(steps=10, batch_size=8))
    assert longer.resumed_from == 4 and not longer.hit
    monkeypatch.setenv("AELIB_HOME", str(tmp_path / "fresh"))
    fresh = cache.trained("m", CFG, data, TrainConfig(steps=10, batch_size=8))
    assert fresh.resumed_from == 0
    assert _same(_weights(longer.model), _weights(fresh.model))


def test_interrupted_run_resumes_to_identical_weights(tiny_images, tmp_path):
    tc = TrainConfig(steps=9, batch_size=8, checkpoint_every=3)
    set_seed(0)
    m1 = models.build(CFG)
    full = train(m1, tiny_images, tc, tmp_path / "a")
    # interrupted: dies after step 7, having checkpointed at step 6
    set_seed(0)
    m2 = models.build(CFG)
    train(m2, tiny_images, tc, tmp_path / "b", stop_after=7)
    ck = load_checkpoint(tmp_path / "b" / "last.pt")
    assert ck["step"] == 6
    set_seed(123)  # a different init must not matter: everything comes from the checkpoint
    m3 = models.build(CFG)
    resumed = train(m3, tiny_images, tc, tmp_path / "b", start=ck)
    assert resumed["step"] == full["step"] == 9
    assert _same(full["model"], resumed["model"])
    assert full["losses"] == pytest.approx(resumed["losses"])


def test_interrupted_cached_run_is_resumed_by_the_next_call(tiny_images):
    data = _data(tiny_images)
    tc = TrainConfig(steps=8, batch_size=8, checkpoint_every=3)
    folder = cache.home() / "cache" / f"m-{cache.run_key(CFG, data, tc)}"
    set_seed(tc.seed)
    train(models.build(CFG), data.train, tc, folder, stop_after=7)  # checkpoint at step 6 left behind
    run = cache.trained("m", CFG, data, tc)
    assert run.resumed_from == 6 and not (folder / "last.pt").exists()


def test_damaged_checkpoint_is_detected_and_an_earlier_one_used(tiny_images):
    data = _data(tiny_images)
    tc = TrainConfig(steps=8, batch_size=8, checkpoint_every=2)
    folder = cache.home() / "cache" / f"m-{cache.run_key(CFG, data, tc)}"
    set_seed(tc.seed)
    train(models.build(CFG), data.train, tc, folder, stop_after=7)  # last.pt at 6, prev.pt at 4
    last = folder / "last.pt"
    last.write_bytes(last.read_bytes()[:100])  # truncated
    with pytest.raises(CheckpointError, match="damaged"):
        load_checkpoint(last)
    with pytest.warns(UserWarning, match="damaged"):
        run = cache.trained("m", CFG, data, tc)
    assert run.resumed_from == 4
    # and the cached final checkpoint, if damaged, is retrained rather than trusted
    final = folder / "step_0000008.pt"
    final.write_bytes(b"garbage")
    with pytest.warns(UserWarning, match="damaged"):
        again = cache.trained("m", CFG, data, tc)
    assert not again.hit


def test_checkpoint_without_hash_is_refused(tmp_path):
    p = tmp_path / "x.pt"
    save_checkpoint(p, {"step": 1})
    p.with_suffix(".pt.sha256").unlink()
    with pytest.raises(CheckpointError, match="no hash"):
        load_checkpoint(p)


def test_determinism_same_seed_same_numbers(tiny_images, tmp_path, monkeypatch):
    data = _data(tiny_images)
    tc = TrainConfig(steps=5, batch_size=8, seed=3)
    a = cache.trained("m", CFG, data, tc)
    monkeypatch.setenv("AELIB_HOME", str(tmp_path / "other"))
    b = cache.trained("m", CFG, data, tc)
    c = cache.trained("m", CFG, data, TrainConfig(steps=5, batch_size=8, seed=4))
    assert a.losses == b.losses and _same(_weights(a.model), _weights(b.model))
    assert a.losses != c.losses


@pytest.mark.parametrize("kw", [dict(steps=-1), dict(batch_size=0), dict(lr=0.0), dict(steps=2.5)])
def test_bad_training_configs(kw):
    with pytest.raises(ValueError):
        TrainConfig(**kw)


def test_fewer_images_than_a_batch(tiny_images):
    with pytest.raises(ValueError, match="fewer than one batch"):
        train(models.build(CFG), tiny_images[:4], TrainConfig(steps=1, batch_size=8))


_TRAIN_ONE = """
import sys, torch
from aelib import cache
from aelib.data import ImageSet
from aelib.models import ModelConfig
from aelib.training import TrainConfig
torch.set_num_threads(1)
g = torch.Generator().manual_seed(0)
low = torch.rand(32, 3, 4, 4, generator=g)
x = torch.nn.functional.interpolate(low, size=(16, 16), mode="bilinear", align_corners=False)
imgs = (x * 255).round().to(torch.uint8)
run = cache.trained("m", ModelConfig(kind="unet", image_size=16, base=4, depth=2),
                    ImageSet(imgs[:24], imgs[24:], source="tiny", fingerprint="tiny-v1"),
                    TrainConfig(steps=40, batch_size=8, checkpoint_every=2))
print("hit" if run.hit else "trained", float(sum(p.sum() for p in run.model.parameters())))
"""


@pytest.mark.slow
def test_two_processes_training_one_model_at_once_train_it_once(aelib_home):
    """One writer per cached model: the second process waits for the lock, then loads the result."""
    import os
    import subprocess
    import sys

    env = dict(os.environ, AELIB_HOME=str(aelib_home), AELIB_PROGRESS="0", OMP_NUM_THREADS="1")
    procs = [subprocess.Popen([sys.executable, "-c", _TRAIN_ONE], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outs = [p.communicate(timeout=300) for p in procs]
    assert all(p.returncode == 0 for p in procs), [o[1][-2000:] for o in outs]
    words = sorted(o[0].split()[0] for o in outs)
    sums = {o[0].split()[1] for o in outs}
    assert words == ["hit", "trained"] and len(sums) == 1, outs
    leftovers = [p.name for p in aelib_home.rglob("*") if ".tmp" in p.name]
    assert not leftovers
