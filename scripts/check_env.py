"""Import everything the book needs and print the versions (run by `bash dev.sh setup`); check that
`jupyter lab` starts from this environment with jupytext's extension (the README's interactive use)."""

import importlib
import subprocess
import sys
from pathlib import Path

PACKAGES = ["torch", "torchvision", "jupyter_book", "sphinx", "myst_nb", "jupytext", "papermill", "ipykernel",
            "ipywidgets", "jupyterlab", "matplotlib", "numpy", "scipy", "pandas", "PIL", "tqdm", "imageio", "ot",
            "pytest", "aelib"]

failed = []
for name in PACKAGES:
    try:
        mod = importlib.import_module(name)
        print(f"  {name:14s} {getattr(mod, '__version__', '?')}")
    except Exception as err:  # noqa: BLE001
        failed.append(f"{name}: {err}")
bindir = Path(sys.executable).parent
for argv, want in (([bindir / "jupyter", "lab", "--version"], ""),
                   ([bindir / "jupyter", "labextension", "list"], "jupyterlab-jupytext"),
                   ([bindir / "jupyter", "server", "extension", "list"], "jupyterlab_jupytext")):
    what = " ".join(map(str, argv[1:]))
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as err:
        failed.append(f"jupyter {what}: {err}")
        continue
    out = proc.stdout + proc.stderr
    if proc.returncode or want not in out:
        failed.append(f"jupyter {what}: exit {proc.returncode}" + (f", no {want}" if want else "") + f"\n{out[-500:]}")
    elif not want:
        print(f"  jupyter lab    {proc.stdout.strip()}")
if failed:
    print("environment check failed:\n  " + "\n  ".join(failed), file=sys.stderr)
    sys.exit(1)
print(f"  python         {sys.version.split()[0]}")
