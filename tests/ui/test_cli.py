"""The ``assistant`` command's help and output helpers (the commands themselves run in the integration tests)."""

from __future__ import annotations

import pytest

from assistant.models import Citation
from ui.cli import _pages, build_parser


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
