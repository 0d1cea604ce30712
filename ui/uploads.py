"""Checks on uploaded files before anything reaches the index: names, sizes, types, and .zip archives.

Everything here refuses with an ``UploadRejected`` that carries the HTTP status and says what to do. An
upload is checked whole in a staging folder of its own; a refused upload leaves nothing behind.
"""

from __future__ import annotations

import shutil
import stat
import unicodedata
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from assistant.errors import InputError
from assistant.settings import Settings

MAX_NAME_BYTES = 200  # of one file or folder name in UTF-8: file systems allow 255 bytes, and ZIP_PART is added
MAX_PATH_BYTES = 1024  # of an archive entry's path in UTF-8, with the archive's name (Linux allows 4096 in all)
HEAD_BYTES = 1024  # what check_content looks at
ZIP_PART = ".zip-upload"  # a received archive waits as NAME.zip-upload; it is unpacked into the folder NAME.zip/
_ZIP_MAGIC = b"PK\x03\x04"
_EMPTY_ZIP_MAGIC = b"PK\x05\x06"
# Binary formats and what their first bytes must be; a file named .pdf that starts like HTML is refused.
_MAGIC = {".pdf": (b"%PDF-",), ".docx": (_ZIP_MAGIC,), ".zip": (_ZIP_MAGIC, _EMPTY_ZIP_MAGIC)}
_LOOKS_LIKE = [(b"%PDF-", "a PDF"), (_ZIP_MAGIC, "a ZIP archive"), (b"<!doctype html", "HTML"), (b"<html", "HTML"),
               (b"\x89PNG", "a PNG image"), (b"\xff\xd8\xff", "a JPEG image"), (b"{", "JSON"), (b"<?xml", "XML")]


class UploadRejected(InputError):
    """An upload that is refused as a whole; ``status`` is its HTTP status (400, 413 or 415)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class UploadLimits:
    """The limits of one upload request (see the upload_* settings)."""

    max_file_bytes: int = 20_000_000
    max_request_bytes: int = 100_000_000
    max_files: int = 100
    zip_max_bytes: int = 200_000_000
    zip_max_ratio: int = 100

    @classmethod
    def from_settings(cls, s: Settings) -> UploadLimits:
        return cls(s.upload.max_file_bytes, s.upload.max_request_bytes, s.upload.max_files, s.upload.zip_max_bytes,
                   s.upload.zip_max_ratio)


def safe_name(name: str | None, what: str = "file name") -> str:
    """``name`` if it is a plain file name that stays where it is put; else an UploadRejected (400).

    No folders, no ``..``, no hidden files, no control characters, no drive letters, at most 200 bytes in UTF-8
    (a file system counts bytes: "ä" is two). The name is NFC-normalised (macOS sends decomposed umlauts)."""
    if not name or not name.strip():
        raise UploadRejected(f"a file has no {what}: send every file with a name such as article.txt")
    shown = name.encode("unicode_escape").decode("ascii")[:120]
    clean = unicodedata.normalize("NFC", name)
    if any(c in clean for c in "/\\") or clean in (".", ".."):
        raise UploadRejected(f"the {what} {shown!r} contains a path; send the bare file name (e.g. article.txt)")
    if any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in clean):
        raise UploadRejected(f"the {what} {shown!r} contains control characters; rename the file")
    if clean.startswith(".") or clean != clean.strip() or (len(clean) > 1 and clean[1] == ":"):
        raise UploadRejected(f"the {what} {shown!r} is hidden, padded or names a drive; rename the file")
    size = len(clean.encode("utf-8", "surrogatepass"))
    if size > MAX_NAME_BYTES:
        raise UploadRejected(f"the {what} {clean[:40] + '…'!r} is {size} bytes long in UTF-8; at most "
                             f"{MAX_NAME_BYTES} bytes are allowed (a letter such as ä takes two): shorten the name")
    return clean


def check_type(name: str, supported: Iterable[str], allow_zip: bool = True) -> str:
    """The lower-case suffix of ``name`` if the readers (or the zip unpacking) accept it; else 415."""
    suffix = PurePosixPath(name).suffix.lower()
    accepted = set(supported) | ({".zip"} if allow_zip else set())
    if suffix not in accepted:
        kinds = " ".join(sorted(accepted))
        raise UploadRejected(f"{name}: unsupported file type {suffix or '(no extension)'}; supported: {kinds}", 415)
    return suffix


def check_content(name: str, head: bytes) -> None:
    """A binary format must start like one: an HTML page renamed to .pdf is refused (415), not half-read."""
    suffix = PurePosixPath(name).suffix.lower()
    wanted = _MAGIC.get(suffix)
    if wanted is None or head.startswith(wanted) or suffix == ".pdf" and b"%PDF-" in head[:1024]:
        return  # (a PDF may have some bytes before its header)
    start = head.lstrip()[:32].lower()
    actual = next((kind for magic, kind in _LOOKS_LIKE if start.startswith(magic)), "something else")
    raise UploadRejected(f"{name} is named {suffix} but its content is {actual}; upload the real {suffix} file "
                         "or give it the extension of what it is", 415)


def entry_path(name: str, archive: str) -> PurePosixPath:
    """The relative path of a .zip entry, every part a safe name; else 400 (``../x``, ``/etc/x``, ``C:\\x``)."""
    if "\\" in name or name.startswith("/") or "\x00" in name:
        raise UploadRejected(f"{archive}: the entry {name!r} has an absolute or Windows path; zip relative paths")
    parts = PurePosixPath(name).parts
    if not parts or len(parts) > 20:
        raise UploadRejected(f"{archive}: the entry {name!r} has no name or is nested more than 20 folders deep")
    rel = PurePosixPath(*(safe_name(p, f"path in {archive}") for p in parts))
    size = len(f"{archive}/{rel}".encode("utf-8", "surrogatepass"))
    if size > MAX_PATH_BYTES:
        raise UploadRejected(f"{archive}: the entry {str(rel)[:40] + '…'!r} has a path of {size} bytes in UTF-8; at "
                             f"most {MAX_PATH_BYTES} bytes are allowed: pack it with shorter folder or file names")
    return rel


def zip_entries(path: Path, name: str, limits: UploadLimits, supported: Iterable[str],
                files_so_far: int) -> list[tuple[zipfile.ZipInfo, PurePosixPath]]:
    """The entries of an uploaded .zip to unpack, after checking the whole archive without unpacking it:
    entry names, no links, no nested archives, counts, sizes and compression ratios. Hidden entries and
    folders (``__MACOSX/``, ``.DS_Store``) are left out."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as e:
        raise UploadRejected(f"{name} is not a readable .zip archive ({e}); pack it again", 400) from e
    picked: list[tuple[zipfile.ZipInfo, PurePosixPath]] = []
    total = 0
    with archive:
        infos = archive.infolist()
        if len(infos) > 10 * limits.max_files:  # do not even look at every entry of an absurd archive
            raise UploadRejected(f"{name} has {len(infos)} entries; at most {limits.max_files} files per upload", 413)
        for info in infos:
            if ".." in info.filename.replace("\\", "/").split("/"):
                raise UploadRejected(f"{name}: the entry {info.filename!r} has a path that leaves the archive "
                                     "(..); pack relative paths only")
            first = info.filename.split("/", 1)[0]
            if info.is_dir() or first.startswith(".") or first == "__MACOSX" or \
                    PurePosixPath(info.filename).name.startswith("."):
                continue
            rel = entry_path(info.filename, name)
            if stat.S_ISLNK(info.external_attr >> 16):
                raise UploadRejected(f"{name}: the entry {rel} is a symbolic link; pack the files themselves")
            if info.flag_bits & 0x1:
                raise UploadRejected(f"{name}: the entry {rel} is encrypted; pack it without a password")
            suffix = rel.suffix.lower()
            if suffix in (".zip", ".tar", ".gz", ".tgz", ".7z", ".rar", ".bz2", ".xz"):
                raise UploadRejected(f"{name}: the entry {rel} is an archive inside the archive; unpack it first")
            check_type(f"{name}/{rel}", supported, allow_zip=False)
            if info.file_size > limits.max_file_bytes:
                raise UploadRejected(f"{name}: {rel} unpacks to {info.file_size:,} bytes; the limit per file is "
                                     f"{limits.max_file_bytes:,}", 413)
            if info.file_size > 1_000_000 and info.file_size > limits.zip_max_ratio * max(info.compress_size, 1):
                raise UploadRejected(f"{name}: {rel} is compressed {info.file_size // max(info.compress_size, 1)}:1"
                                     f" (limit {limits.zip_max_ratio}:1), which is what zip bombs do", 413)
            total += info.file_size
            if total > limits.zip_max_bytes:
                raise UploadRejected(f"{name} unpacks to more than {limits.zip_max_bytes:,} bytes; split it", 413)
            picked.append((info, rel))
            if files_so_far + len(picked) > limits.max_files:
                raise UploadRejected(f"more than {limits.max_files} files in this upload (counting the files in "
                                     f"{name}); send them in several uploads", 413)
    return picked


def unpack(path: Path, name: str, dest: Path, limits: UploadLimits, supported: Iterable[str],
           files_so_far: int) -> list[PurePosixPath]:
    """Unpack the checked entries of ``path`` under ``dest``; the sizes the archive states are enforced while
    unpacking too (a forged header cannot make an entry larger than it claimed)."""
    entries = zip_entries(path, name, limits, supported, files_so_far)
    out: list[PurePosixPath] = []
    with zipfile.ZipFile(path) as archive:
        for info, rel in entries:
            target = dest / rel
            if not target.resolve().is_relative_to(dest.resolve()):  # cannot happen after entry_path; cheap
                raise UploadRejected(f"{name}: the entry {rel} would leave the upload folder")
            if target.exists():
                raise UploadRejected(f"{name}: {rel} is in the archive twice; pack each file once")
            target.parent.mkdir(parents=True, exist_ok=True)
            written = 0
            with archive.open(info) as src, target.open("wb") as fh:
                while block := src.read(1 << 16):
                    written += len(block)
                    if written > info.file_size or written > limits.max_file_bytes:
                        raise UploadRejected(f"{name}: {rel} unpacks to more than it states; pack it again", 413)
                    fh.write(block)
            with target.open("rb") as fh:
                check_content(f"{name}/{rel}", fh.read(HEAD_BYTES))
            out.append(rel)
    return out


def unpack_all(dest: Path, names: list[str], limits: UploadLimits, supported: Iterable[str]) -> list[str]:
    """Unpack the received archives in ``dest``; the names (relative to ``dest``) of all files to ingest."""
    files: list[str] = []
    counted = sum(not n.lower().endswith(".zip") for n in names)  # plain files, then each archive's files
    for name in names:
        if not name.lower().endswith(".zip"):
            files.append(name)
            continue
        archive = dest / (name + ZIP_PART)
        entries = unpack(archive, name, dest / name, limits, supported, counted)
        counted += len(entries)
        archive.unlink()
        if not entries:
            raise UploadRejected(f"{name} contains no files to ingest (supported: {' '.join(sorted(supported))})")
        files += [f"{name}/{rel.as_posix()}" for rel in entries]
    return files


def stage_local(files: list[tuple[Path, str]], dest: Path, limits: UploadLimits,
                supported: Iterable[str]) -> list[str]:
    """The checks of an HTTP upload for files already on this machine (the UI's uploads): (path, name) pairs
    are copied into ``dest`` and unpacked; the names to ingest. Refused as a whole like an HTTP upload."""
    supported = frozenset(supported)
    if not files:
        raise UploadRejected("no files chosen")
    if len(files) > limits.max_files:
        raise UploadRejected(f"more than {limits.max_files} files in one upload; add them in several", 413)
    if sum(p.stat().st_size for p, _ in files) > limits.max_request_bytes:
        raise UploadRejected(f"the files are larger than {limits.max_request_bytes:,} bytes together; add them "
                             "in several uploads", 413)
    dest.mkdir(parents=True)
    names: list[str] = []
    for path, given in files:
        name = safe_name(given)
        suffix = check_type(name, supported)
        if name in names:
            raise UploadRejected(f"{name} is in this upload twice; add each file once")
        if suffix != ".zip" and path.stat().st_size > limits.max_file_bytes:
            raise UploadRejected(f"{name} is larger than {limits.max_file_bytes:,} bytes, the limit per file", 413)
        with path.open("rb") as fh:
            check_content(name, fh.read(HEAD_BYTES))
        shutil.copyfile(path, dest / (name + ZIP_PART if suffix == ".zip" else name))
        names.append(name)
    return unpack_all(dest, names, limits, supported)


def remove_tree(path: Path) -> None:
    """Remove a staging folder; a folder that is already gone is fine."""
    shutil.rmtree(path, ignore_errors=True)
