"""The hash of source files that ingest's raw hashes and the eval's result fingerprints are made of."""

from pathlib import Path

from assistant.code_version import files_hash, folder_hash


def test_the_hash_changes_with_a_files_name_or_bytes_and_only_then(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "a.py").write_text("x = 1\n")
    (tmp_path / "b.py").write_text("y = 2\n")
    (tmp_path / "notes.txt").write_text("not code")
    first = folder_hash(tmp_path, "*.py")
    assert first == folder_hash(tmp_path, "*.py") and len(first) == 16
    (tmp_path / "notes.txt").write_text("still not code")
    assert folder_hash(tmp_path, "*.py") == first  # only the files the pattern names count
    (tmp_path / "b.py").write_text("y = 3\n")
    edited = folder_hash(tmp_path, "*.py")
    assert edited != first
    (tmp_path / "b.py").rename(tmp_path / "c.py")
    assert folder_hash(tmp_path, "*.py") != edited
    same = [("a", tmp_path / "c.py")]
    assert files_hash(same) == files_hash(same) != files_hash([("b", tmp_path / "c.py")])
