import copy
import errno
import hashlib
import inspect
import json
import os
import struct

import pytest
import torch
import torch.nn.functional as F

from aelib import cache, models, training
from aelib.data import ImageSet
from aelib.models import ModelConfig
from aelib.seeding import set_seed
from aelib.training import CheckpointError, TrainConfig, epoch_order, load_checkpoint, save_checkpoint, train

CFG = ModelConfig.of("unet", image_size=16, base=4, depth=2)


def _data(images):
    return ImageSet(images[:24], images[24:], source="tiny", fingerprint="tiny-v1")


def _weights(model):
    return {k: v.clone() for k, v in model.state_dict().items()}


def _same(w1, w2):
    return w1.keys() == w2.keys() and all(torch.equal(w1[k], w2[k]) for k in w1)


def _flip_a_weight_bit(path):
    """Flip the lowest mantissa bit of one float32 weight inside a checkpoint file, in place: the
    silent damage of a bad disk or copy. ``torch.load`` reads the result without complaint (checked
    here), so only the SHA-256 can tell."""
    raw = bytearray(path.read_bytes())
    before = torch.load(path, weights_only=True)
    weights = before["model"] if "model" in before else before
    for value in (v for t in weights.values() if t.dtype == torch.float32 for v in t.flatten().tolist()):
        packed = struct.pack("<f", value)
        if raw.count(packed) == 1:  # unique in the file: the bytes of this weight and nothing else
            raw[raw.index(packed)] ^= 1
            path.write_bytes(bytes(raw))
            after = torch.load(path, weights_only=True)
            after = after["model"] if "model" in after else after
            assert not _same(weights, after), "the flipped bit did not land in a weight"
            return
    raise AssertionError(f"no float32 weight of {path.name} has bytes unique in the file")


def _interrupted_run(data, tc, stop_after):
    """Train the cached run of ``tc`` and stop it after ``stop_after`` steps, leaving last.pt and
    prev.pt in its cache folder as a killed process would; returns the folder."""
    folder = cache.home() / "cache" / f"m-{cache.run_key(CFG, data, tc)}"
    set_seed(tc.seed)
    train(models.build(CFG), data.train, tc, folder, stop_after=stop_after)
    return folder


def test_miss_then_hit(tiny_images):
    data = _data(tiny_images)
    tc = TrainConfig(steps=6, batch_size=8, checkpoint_every=2)
    first = cache.trained("m", CFG, data, tc)
    assert not first.hit and first.resumed_from == 0 and len(first.losses) == 6
    second = cache.trained("m", CFG, data, tc)
    assert second.hit and second.folder == first.folder
    assert _same(_weights(first.model), _weights(second.model))
    assert all(m.training for m in second.model.modules())  # handed back in train mode, as trained


def test_key_changes_with_data_config_and_training(tiny_images):
    data = _data(tiny_images)
    tc = TrainConfig(steps=4, batch_size=8)
    k = cache.run_key(CFG, data, tc)
    assert cache.run_key(CFG, data, TrainConfig(steps=9, batch_size=8)) == k  # steps: same run, longer
    assert cache.run_key(CFG, data, TrainConfig(steps=4, batch_size=8, lr=1e-4)) != k
    assert cache.run_key(ModelConfig.of("unet", image_size=16, base=8, depth=2), data, tc) != k
    other = ImageSet(data.train, data.heldout, source="tiny", fingerprint="tiny-v2")
    assert cache.run_key(CFG, other, tc) != k


def test_key_hashes_the_kind_its_sizes_and_its_own_parameters(tiny_images):
    data = _data(tiny_images)
    tc = TrainConfig(steps=4, batch_size=8)
    k = cache.run_key(CFG, data, tc)
    assert cache.run_key(ModelConfig.of("unet", image_size=16, base=4, depth=2), data, tc) == k
    for other in (ModelConfig.of("unet", image_size=8, base=4, depth=2), ModelConfig.of("unet", 16, 1, base=4, depth=2),
                  ModelConfig.of("unet", image_size=16, base=4, depth=2, skips="concat"),
                  ModelConfig.of("unet", image_size=16, base=4, depth=2, batchnorm=False)):
        assert cache.run_key(other, data, tc) != k
    written = json.loads((cache.trained("m", CFG, data, tc).folder / "config.json").read_text())["model"]
    assert written == {"kind": "unet", "image_size": 16, "channels": 3,   # no field of another kind
                       "params": {"base": 4, "depth": 2, "skips": "self", "hidden_mlp": None, "batchnorm": True}}


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
    folder = _interrupted_run(data, tc, stop_after=7)  # checkpoint at step 6 left behind
    run = cache.trained("m", CFG, data, tc)
    assert run.resumed_from == 6 and not (folder / "last.pt").exists()


def test_a_flipped_bit_that_torch_load_accepts_is_caught_by_the_sha256(tmp_path):
    p = tmp_path / "x.pt"
    save_checkpoint(p, {"w": torch.linspace(0.1, 0.9, 50), "step": 1})
    _flip_a_weight_bit(p)
    with pytest.raises(CheckpointError, match=r"x\.pt is damaged \(its SHA-256 does not match x\.pt\.sha256\)") as e:
        load_checkpoint(p)
    assert e.value.reason == "is damaged (its SHA-256 does not match x.pt.sha256)"  # the message without the path


def test_damaged_checkpoint_is_detected_and_an_earlier_one_used(tiny_images):
    data = _data(tiny_images)
    tc = TrainConfig(steps=8, batch_size=8, checkpoint_every=2)
    folder = _interrupted_run(data, tc, stop_after=7)  # last.pt at 6, prev.pt at 4
    _flip_a_weight_bit(folder / "last.pt")
    with pytest.warns(UserWarning, match=r"last\.pt is damaged \(its SHA-256 does not match"):
        run = cache.trained("m", CFG, data, tc)
    assert run.resumed_from == 4
    # and the cached final checkpoint, if damaged, is retrained rather than trusted
    _flip_a_weight_bit(folder / "step_0000008.pt")
    with pytest.warns(UserWarning, match=r"step_0000008\.pt is damaged \(its SHA-256 does not match"):
        again = cache.trained("m", CFG, data, tc)
    assert not again.hit
    assert _same(_weights(run.model), _weights(again.model))  # retrained to the same weights


def test_damaged_checkpoint_warning_names_the_file_relative_to_aelib_home(tiny_images):
    """The warning reaches the published pages: it must not carry a local absolute path."""
    data = _data(tiny_images)
    tc = TrainConfig(steps=8, batch_size=8, checkpoint_every=2)
    folder = _interrupted_run(data, tc, stop_after=7)
    _flip_a_weight_bit(folder / "last.pt")
    with pytest.warns(UserWarning) as record:
        cache.trained("m", CFG, data, tc)
    (message,) = [str(w.message) for w in record if "damaged" in str(w.message)]
    assert message == (f"cache/{folder.name}/last.pt is damaged (its SHA-256 does not match last.pt.sha256); "
                       "falling back to an earlier checkpoint; delete that file to silence this")
    assert str(cache.home()) not in message


def test_unreadable_checkpoint_with_a_matching_hash_is_refused(tmp_path):
    p = tmp_path / "x.pt"
    save_checkpoint(p, {"step": 1})
    p.write_bytes(p.read_bytes()[:100])  # truncated, and the hash file rewritten to match
    p.with_name("x.pt.sha256").write_text(hashlib.sha256(p.read_bytes()).hexdigest())
    with pytest.raises(CheckpointError, match=r"x\.pt is damaged \(torch\.load cannot read it") as e:
        load_checkpoint(p)
    assert e.value.reason.startswith("is damaged (torch.load cannot read it")


def test_checkpoint_without_hash_is_refused(tmp_path):
    p = tmp_path / "x.pt"
    save_checkpoint(p, {"step": 1})
    p.with_suffix(".pt.sha256").unlink()
    with pytest.raises(CheckpointError, match=r"x\.pt has no hash file x\.pt\.sha256; refusing to trust it"):
        load_checkpoint(p)


@pytest.mark.parametrize("failing_write", [1, 2], ids=["checkpoint", "hash"])
def test_full_disk_during_save_leaves_the_old_pair_and_no_temporary_file(tmp_path, monkeypatch, failing_write):
    p = tmp_path / "x.pt"
    save_checkpoint(p, {"step": 1})  # the previous good checkpoint
    calls = []
    real_fsync = os.fsync

    def fsync(fd):  # the disk fills up on the ``failing_write``-th file written
        calls.append(fd)
        if len(calls) == failing_write:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real_fsync(fd)

    monkeypatch.setattr(training.os, "fsync", fsync)
    with pytest.raises(OSError, match=os.strerror(errno.ENOSPC)) as e:
        save_checkpoint(p, {"step": 2})
    assert e.value.errno == errno.ENOSPC
    assert any(f"while writing checkpoint {p}" in note for note in e.value.__notes__)
    monkeypatch.undo()
    assert sorted(f.name for f in tmp_path.iterdir()) == ["x.pt", "x.pt.sha256"]
    assert load_checkpoint(p)["step"] == 1


def test_leftover_temporary_files_of_dead_writers_are_removed(tiny_images):
    data = _data(tiny_images)
    tc = TrainConfig(steps=2, batch_size=8)
    folder = cache.home() / "cache" / f"m-{cache.run_key(CFG, data, tc)}"
    folder.mkdir(parents=True)
    for name in ("last.pt.tmp4242", "last.pt.sha256.tmp4242", "step_0000002.pt.tmp4242", "config.json.tmp4242"):
        (folder / name).write_bytes(b"half-written by a process that died")
    cache.trained("m", CFG, data, tc)
    assert not [p.name for p in folder.iterdir() if ".tmp" in p.name]


@pytest.mark.parametrize("edited, changes", [("trainer", True), ("UNet", True), ("MLPAutoencoder", False)])
def test_editing_the_trainer_or_a_model_class_retrains(tiny_images, monkeypatch, edited, changes):
    """The key holds the source of the trainer and of every aelib class in the model: editing one
    trains anew; editing a class the model does not use (MLPAutoencoder) keeps the cache."""
    data = _data(tiny_images)
    tc = TrainConfig(steps=2, batch_size=8)
    first = cache.trained("m", CFG, data, tc)
    key = cache.run_key(CFG, data, tc)
    target = training if edited == "trainer" else getattr(models, edited)
    real_getsource = inspect.getsource

    def getsource(obj):  # the source as it reads after an edit of ``target``
        return real_getsource(obj) + ("\n# edited\n" if obj is target else "")

    monkeypatch.setattr(inspect, "getsource", getsource)
    assert (cache.run_key(CFG, data, tc) != key) is changes
    again = cache.trained("m", CFG, data, tc)
    assert again.hit is not changes and (again.folder != first.folder) is changes


def test_key_holds_the_thread_count_when_training_on_a_cpu(tiny_images):
    """On a CPU the numbers change with torch's thread count, so the key does; on a GPU they do not."""
    data = _data(tiny_images)
    tc = TrainConfig(steps=2, batch_size=8)
    before = torch.get_num_threads()
    keys, folders = {}, {}
    try:
        for n in (1, 2):
            torch.set_num_threads(n)
            keys[n] = {dev: cache.run_key(CFG, data, tc, device=dev) for dev in ("cpu", "cuda", "cuda:1")}
            folders[n] = cache.trained("m", CFG, data, tc).folder
    finally:
        torch.set_num_threads(before)
    assert keys[1]["cpu"] != keys[2]["cpu"] and folders[1] != folders[2]
    assert keys[1]["cuda"] == keys[2]["cuda"] == keys[1]["cuda:1"] != keys[1]["cpu"]
    assert folders[1].name == f"m-{keys[1]['cpu']}"


def test_batchnorm_is_in_train_mode_during_the_optimiser_steps(tiny_images):
    """The essay trains with BatchNorm in train mode (batch statistics) at every step: the running
    statistics are updated once per step, and the first logged loss is the train-mode loss of the
    initial model on the first batch (which the eval-mode loss is not)."""
    tc = TrainConfig(steps=3, batch_size=8)
    set_seed(0)
    model = models.build(CFG)
    initial = copy.deepcopy(model)
    norms = [m for m in model.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    assert norms, "the test needs a model with BatchNorm"
    out = train(model, tiny_images, tc)
    assert [int(m.num_batches_tracked) for m in norms] == [tc.steps] * len(norms)
    assert all(not torch.equal(m.running_mean, torch.zeros_like(m.running_mean)) for m in norms)
    first = tiny_images[epoch_order(len(tiny_images), tc.seed, 0)[:tc.batch_size]].float() / 255
    with torch.no_grad():
        eval_loss = F.mse_loss(initial.eval()(first), first).item()
        train_loss = F.mse_loss(initial.train()(first), first).item()
    assert out["losses"][0] == pytest.approx(train_loss, rel=1e-5)  # measured: 1e-7 (channels_last)
    assert eval_loss != pytest.approx(train_loss, rel=1e-4)  # measured: 2e-3, so the line above can tell


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
run = cache.trained("m", ModelConfig.of("unet", image_size=16, base=4, depth=2),
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
