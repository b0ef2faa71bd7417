"""Import everything the book needs and print the versions (run by `bash dev.sh setup`)."""

import importlib
import sys

PACKAGES = ["torch", "torchvision", "jupyter_book", "sphinx", "myst_nb", "jupytext", "papermill", "ipykernel",
            "ipywidgets", "matplotlib", "numpy", "scipy", "pandas", "PIL", "tqdm", "imageio", "ot", "pytest", "aelib"]

failed = []
for name in PACKAGES:
    try:
        mod = importlib.import_module(name)
        print(f"  {name:14s} {getattr(mod, '__version__', '?')}")
    except Exception as err:  # noqa: BLE001
        failed.append(f"{name}: {err}")
if failed:
    print("environment check failed:\n  " + "\n  ".join(failed), file=sys.stderr)
    sys.exit(1)
print(f"  python         {sys.version.split()[0]}")
