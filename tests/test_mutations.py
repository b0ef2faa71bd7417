"""Tests that can fail: each safeguard below is switched off in a copy of the library, and the
tests that name it must then fail (a test that passes whatever the code does proves nothing).

A reviewer found tests that could not catch what they named: damaged-checkpoint tests that pass
with the SHA-256 check off (``torch.load`` rejected their damage anyway, and ``match="damaged"``
was satisfied by pytest's tmp directory name), cache tests that pass with the code left out of the
key, trainer tests that pass with BatchNorm in eval mode. Each mutation is a one-line text edit of
a copy of ``aelib/`` (never of the checkout other processes import); the named tests run against
the copy in a subprocess. If an edit no longer applies because the code moved, the test says so:
update the mutation, do not delete it."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
T = "tests/test_training_cache.py::"
S = "tests/test_run_state.py::"

# (what is switched off, file, text, replacement, tests that must fail)
MUTATIONS = [
    ("the SHA-256 check", "aelib/training.py",
     "if hashlib.sha256(data).hexdigest() != sha_path.read_text().strip():", "if False:",
     [T + "test_a_flipped_bit_that_torch_load_accepts_is_caught_by_the_sha256",
      T + "test_damaged_checkpoint_is_detected_and_an_earlier_one_used"]),
    ("the code in the cache key", "aelib/cache.py",
     '"version": __version__, "code": code_fingerprint(model_cfg)}', '"version": __version__}',
     [T + "test_editing_the_trainer_or_a_model_class_retrains[trainer-True]",
      T + "test_editing_the_trainer_or_a_model_class_retrains[UNet-True]"]),
    ("the thread count in the cache key", "aelib/cache.py",
     'train["threads"] = torch.get_num_threads()', "pass",
     [T + "test_key_holds_the_thread_count_when_training_on_a_cpu"]),
    ("BatchNorm in train mode during training", "aelib/training.py",
     'with torch.autocast("cuda", dtype=torch.bfloat16, enabled=run.amp):',
     'run.model.eval()\n    with torch.autocast("cuda", dtype=torch.bfloat16, enabled=run.amp):',
     [T + "test_batchnorm_is_in_train_mode_during_the_optimiser_steps"]),
    ("removing the temporary files of a failed save", "aelib/training.py",
     "tmp.unlink(missing_ok=True)", "pass",
     [T + "test_full_disk_during_save_leaves_the_old_pair_and_no_temporary_file[checkpoint]",
      T + "test_full_disk_during_save_leaves_the_old_pair_and_no_temporary_file[hash]"]),
    ("removing leftover temporary files under the lock", "aelib/cache.py",
     "_remove_leftovers(folder)\n", "pass\n",
     [T + "test_leftover_temporary_files_of_dead_writers_are_removed"]),
    ("the relative path in the damaged-checkpoint warning", "aelib/cache.py",
     'f"{display_path(path)} {err.reason}; falling back', 'f"{err}; falling back',
     [T + "test_damaged_checkpoint_warning_names_the_file_relative_to_aelib_home"]),
    # the run's identity and its state on disk (aelib.execute, aelib.identity, aelib.chapter)
    ("the ledger's run key in a chapter's state", "aelib/execute.py",
     'if ledger.read_file(lpath).get("key") != key:', "if False:",
     [S + "test_a_ledger_or_figures_from_another_run_make_a_chapter_stale"]),
    ("the photos' bytes in the run identity", "aelib/identity.py",
     "        h.update(p.read_bytes())\n    return h.hexdigest()\n\n\ndef _external",
     "    return h.hexdigest()\n\n\ndef _external",
     [S + "test_swapping_a_photos_bytes_changes_the_identity"]),
    ("executing into a staging folder", "aelib/chapter.py",
     'stage = os.environ.get("AELIB_STAGE") if', "stage = None if",
     [S + "test_a_failing_chapter_leaves_the_previous_good_one_in_place"]),
    ("the lock per chapter", "aelib/execute.py",
     'with paths.locked(home() / "locks" / profile / f"{src.stem}.lock"):', "if True:",
     [S + "test_two_processes_executing_one_chapter_at_once_both_succeed"]),
    ("forgetting Sphinx's state after a failed build", "aelib/execute.py",
     'shutil.rmtree(Path(book_dir) / "_build" / ".doctrees", ignore_errors=True)', "pass",
     [S + "test_a_failed_strict_build_fails_every_rerun"]),
    ("checking each profile field's type and range", "aelib/profiles.py",
     '    """Type, then range of one field\'s value;',
     '    return\n    """Type, then range of one field\'s value;',
     [S + "test_bad_input_is_refused_before_any_notebook_is_touched"]),
]


def _copy_of_the_library(dest: Path) -> Path:
    shutil.copytree(REPO / "aelib", dest / "aelib", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(REPO / "data", dest / "data")  # the shipped photos (the run identity hashes them)
    (dest / "tests").mkdir()
    for name in ("conftest.py", "test_training_cache.py", "test_run_state.py"):
        shutil.copy(REPO / "tests" / name, dest / "tests" / name)
    shutil.copy(REPO / "pyproject.toml", dest / "pyproject.toml")
    return dest


def _pytest(root: Path, nodes: list[str]) -> subprocess.CompletedProcess:
    """Run ``nodes`` with ``root`` first on sys.path, in this process and in every process it starts
    (the executors and notebook kernels of test_run_state), ahead of the installed, editable aelib,
    so the copy is what they all import."""
    env = dict(os.environ, OMP_NUM_THREADS="1", AELIB_PROGRESS="0", PYTHONDONTWRITEBYTECODE="1",
               PYTHONPATH=str(root))
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *nodes], cwd=root,
                          env=env, capture_output=True, text=True, timeout=600)


def _summary(proc: subprocess.CompletedProcess) -> str:
    lines = [ln for ln in proc.stdout.splitlines() if re.search(r"\d+ (passed|failed|error)", ln)]
    return lines[-1] if lines else proc.stdout[-3000:] + proc.stderr[-3000:]


@pytest.mark.slow
def test_the_copy_passes_unmutated(tmp_path):
    """The harness itself: unmutated, the copy imports and every named test passes in it."""
    root = _copy_of_the_library(tmp_path)
    nodes = sorted({n for *_, tests in MUTATIONS for n in tests})
    proc = _pytest(root, nodes)
    assert proc.returncode == 0 and f"{len(nodes)} passed" in _summary(proc), proc.stdout[-3000:]


@pytest.mark.slow
@pytest.mark.parametrize("what, file, text, replacement, tests", MUTATIONS, ids=[m[0] for m in MUTATIONS])
def test_the_tests_fail_when_their_safeguard_is_off(tmp_path, what, file, text, replacement, tests):
    root = _copy_of_the_library(tmp_path)
    src = root / file
    code = src.read_text()
    assert code.count(text) == 1, f"the mutation switching off {what} no longer applies to {file}: update it"
    src.write_text(code.replace(text, replacement))
    proc = _pytest(root, tests)
    summary = _summary(proc)
    all_failed = re.fullmatch(rf"=*\s*{len(tests)} failed in [\d.]+s( \(.*\))?\s*=*", summary.strip())
    assert proc.returncode == 1 and all_failed, \
        f"with {what} switched off, expected all of {tests} to fail; got: {summary}\n{proc.stdout[-3000:]}"
