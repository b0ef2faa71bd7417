#!/usr/bin/env python3
"""Build the shipped landscape photographs in data/photos/ and data/photos.csv.

The sources are wallpapers inside Debian packages, listed in a CSV with the
columns package,path,category,license,author (by default
scripts/photo-sources.csv). Get them
without installing anything:

    apt-get update
    mkdir -p /tmp/debs && cd /tmp/debs
    apt-get download lomiri-wallpapers-16.04 mate-backgrounds \\
        plasma-workspace-wallpapers lxqt-themes
    for f in *.deb; do dpkg-deb -x "$f" /tmp/debs/root; done

then, from the repository root:

    python scripts/make_photos.py /tmp/debs/root

Each listed file is read from the extraction root, converted to RGB, scaled
with Lanczos so that its SHORT side is 320 pixels, and written as JPEG
(quality 90, no metadata) under a slug file name. The manifest records the
source, licence, author, near-duplicate group, sha256 and size of each file.

The output is deterministic for a given Pillow build (the sha256 values in
DATA.md were made with Pillow 11.0.0, as pinned in requirements.txt). Only
Pillow and the standard library are used.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import re
import sys
from pathlib import Path

from PIL import Image, ImageOps

REPO = Path(__file__).resolve().parent.parent
DEFAULT_SOURCES = REPO / "scripts" / "photo-sources.csv"
DEFAULT_ROOT = Path("/tmp/debs/root")
OUT_DIR = REPO / "data" / "photos"
MANIFEST = REPO / "data" / "photos.csv"

SHORT_SIDE = 320
JPEG_QUALITY = 90
COLUMNS = [
    "file", "package", "source_path", "license", "author",
    "group", "sha256", "width", "height",
]

# Near-duplicate groups, for splitting train/held-out by group: photos of the
# same scene, or near-identical variants of one photo, must share a group id.
# Every photo not named here is its own group (its slug).
#
# All 22 sources were looked at side by side (contact sheet plus full-size
# pairs) and no two show the same scene or are variants of one another. The
# closest pairs by content were checked one by one and are distinct:
# plasma DarkestHour / plasma summer_1am (both lakes at dusk by the same
# photographer, different shores and light); lxqt fog / this-is-not-windows
# (both rolling farmland by the same photographer, different hills);
# lxqt after-the-rain / beam / Valendas (dark ridgelines under cloud,
# different places). Coarse image hashes only matched on layout (bright sky
# over dark ground), never on content. Hence no overrides.
GROUPS: dict[str, str] = {}


def slug_for(path: str) -> str:
    """Clean file stem for a source path.

    KDE wallpapers are stored as <Name>/contents/images/<W>x<H>.jpg, so their
    slug comes from <Name> with a "plasma-" prefix; for the others the file
    stem is used with any "_by_<author>" suffix dropped.
    """
    p = Path(path)
    m = re.search(r"/wallpapers/([^/]+)/contents/images/", path)
    if m:
        stem = "plasma-" + m.group(1)
    else:
        stem = re.sub(r"_by_.*$", "", p.stem)
    stem = re.sub(r"[^a-z0-9]+", "-", stem.lower()).strip("-")
    if not stem:
        raise ValueError(f"empty slug for {path}")
    return stem


def to_rgb(im: Image.Image) -> Image.Image:
    im = ImageOps.exif_transpose(im)
    if im.mode in ("RGBA", "LA") or (im.mode == "P" and "transparency" in im.info):
        im = im.convert("RGBA")
        background = Image.new("RGBA", im.size, (255, 255, 255, 255))
        im = Image.alpha_composite(background, im)
    return im.convert("RGB")


def downsize(im: Image.Image, short_side: int = SHORT_SIDE) -> Image.Image:
    w, h = im.size
    if min(w, h) < short_side:
        raise ValueError(f"image {w}x{h} is smaller than {short_side} px on its short side")
    if w <= h:
        size = (short_side, round(h * short_side / w))
    else:
        size = (round(w * short_side / h), short_side)
    return im.resize(size, Image.Resampling.LANCZOS)


def encode_jpeg(im: Image.Image) -> bytes:
    buf = io.BytesIO()
    # No exif / icc_profile passed: the output carries no metadata. All
    # sources are sRGB or untagged, so dropping the profile changes nothing.
    im.save(buf, format="JPEG", quality=JPEG_QUALITY, optimize=True)
    return buf.getvalue()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("root", nargs="?", type=Path, default=DEFAULT_ROOT,
                    help=f"where the .deb files were extracted (default {DEFAULT_ROOT})")
    ap.add_argument("--sources", type=Path, default=DEFAULT_SOURCES,
                    help="source list CSV (package,path,category,license,author)")
    ap.add_argument("--out-dir", type=Path, default=OUT_DIR)
    ap.add_argument("--manifest", type=Path, default=MANIFEST)
    args = ap.parse_args(argv)

    with open(args.sources, newline="", encoding="utf-8") as f:
        sources = list(csv.DictReader(f))

    slugs = [slug_for(s["path"]) for s in sources]
    dupes = sorted({s for s in slugs if slugs.count(s) > 1})
    if dupes:
        print(f"error: slug collision: {', '.join(dupes)}", file=sys.stderr)
        return 1
    unknown = sorted(set(GROUPS) - set(slugs))
    if unknown:
        print(f"error: GROUPS names unknown photos: {', '.join(unknown)}", file=sys.stderr)
        return 1

    missing = [s["path"] for s in sources
               if not (args.root / s["path"].lstrip("/")).is_file()]
    if missing:
        print(f"error: {len(missing)} source file(s) not found under {args.root}:",
              file=sys.stderr)
        for p in missing:
            print(f"  {p}", file=sys.stderr)
        return 1

    args.out_dir.mkdir(parents=True, exist_ok=True)
    rows = []
    for src, slug in zip(sources, slugs):
        name = f"{slug}.jpg"
        with Image.open(args.root / src["path"].lstrip("/")) as im:
            im.load()
            small = downsize(to_rgb(im))
        data = encode_jpeg(small)
        (args.out_dir / name).write_bytes(data)
        rows.append({
            "file": name,
            "package": src["package"],
            "source_path": src["path"],
            "license": src["license"],
            "author": src["author"],
            "group": GROUPS.get(slug, slug),
            "sha256": hashlib.sha256(data).hexdigest(),
            "width": small.width,
            "height": small.height,
        })
        print(f"{name:32s} {small.width}x{small.height} {len(data):7d} B")

    # The output folder holds only what this script makes: drop stale JPEGs.
    keep = {r["file"] for r in rows}
    for old in sorted(args.out_dir.glob("*.jpg")):
        if old.name not in keep:
            print(f"removing stale {old.name}")
            old.unlink()

    with open(args.manifest, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=COLUMNS, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)

    total = sum((args.out_dir / r["file"]).stat().st_size for r in rows)
    print(f"{len(rows)} photos, {len({r['group'] for r in rows})} groups, "
          f"{total} bytes ({total / 2**20:.2f} MiB) -> {args.out_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
