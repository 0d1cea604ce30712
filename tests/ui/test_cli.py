"""The ``assistant`` command's help and output helpers (the commands themselves run in the integration tests)."""

from __future__ import annotations

import pytest

from assistant.models import Citation
from ui.cli import _pages, _ProgressLines, build_parser


def test_ingest_help_lists_every_format_read(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["ingest", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    for ext in (".txt", ".md", ".html", ".jsonl", ".pdf", ".docx", ".rss", ".atom", ".xml"):
        assert ext in help_text
    assert "page numbers kept" in help_text


@pytest.mark.parametrize(("page", "page_end", "label"), [(3, None, "p. 3"), (3, 4, "p. 3–4"), (None, None, None)])
def test_search_and_ask_output_name_the_pdf_page(page: int | None, page_end: int | None, label: str | None) -> None:
    c = Citation(n=1, doc_id="d", source="a.pdf", title="T", chunk_id="d-0", text="t", start=0, end=1, score=1.0,
                 page=page, page_end=page_end)
    assert _pages(c) == label


def test_progress_lines_come_at_most_every_interval_and_at_the_end(capsys: pytest.CaptureFixture[str]) -> None:
    lines = _ProgressLines(every_s=3600)
    lines.update(1, 10)
    lines.update(2, 10)
    assert capsys.readouterr().err == ""  # within the interval: nothing
    lines.update(10, 10)
    assert capsys.readouterr().err.startswith("ingest: 10 of 10 articles (")
    often = _ProgressLines(every_s=0)
    often.update(3, 10)
    often.update(4, 12)
    assert [line.split(" (")[0] for line in capsys.readouterr().err.splitlines()] == [
        "ingest: 3 of 10 articles", "ingest: 4 of 12 articles"]
