"""Gathers the TNEF corpus: real `winmail.dat` files, some of them damaged, from the test
suite of tnefparse, taken from its own package on PyPI by name and version. Nothing of them
is in this repository (tests/data/tnef/SOURCES.md says where they come from, under which
licence); they are unpacked once into a cache folder and reused.

    python scripts/tnef_corpus.py --dest DIR     # prints the number of files
"""

from __future__ import annotations

import re
import shutil
import sys
import tarfile
import tempfile
from pathlib import Path

# Its sibling script, run from anywhere.
sys.path.insert(0, str(Path(__file__).resolve().parent))
from torture_corpus import download_pypi, main

PACKAGE, VERSION = "tnefparse", "1.4.0"
FOLDER = f"tnefparse-{VERSION}/tests/examples/"
PATTERN = r"[^/]+\.tnef"


def gather(dest: Path) -> list[Path]:
    """The corpus's TNEF files in `dest`, downloading them when they are not there yet."""
    done = dest / ".complete"
    if not done.exists():
        shutil.rmtree(dest, ignore_errors=True)
        dest.mkdir(parents=True)
        with tempfile.TemporaryDirectory() as downloads:
            _unpack(download_pypi(PACKAGE, VERSION, Path(downloads)), dest)
        done.touch()
    return sorted(dest.glob("*.tnef"))


def _unpack(archive_path: Path, dest: Path) -> None:
    count = 0
    with tarfile.open(archive_path) as archive:
        for member in archive.getmembers():
            name = member.name[len(FOLDER) :]
            if member.isfile() and member.name.startswith(FOLDER) and re.fullmatch(PATTERN, name):
                (dest / name).write_bytes(archive.extractfile(member).read())
                count += 1
    if not count:
        raise RuntimeError(f"no TNEF file found in {PACKAGE} {VERSION} under {FOLDER}")


if __name__ == "__main__":
    main(gather, __doc__)
