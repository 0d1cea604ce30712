"""The ``assistant`` command: ingest, search, ask, serve, eval."""

from __future__ import annotations

import argparse
import json
import logging
import sys
import threading
import time
from datetime import date
from pathlib import Path

from pydantic import ValidationError

from assistant.errors import AssistantError
from assistant.models import AlsoIn, Citation, DerivedFilter, Filters, Passage
from assistant.settings import Settings
from ui.logs import setup_logging

log = logging.getLogger("assistant")

EXIT_OK, EXIT_ERROR, EXIT_SKIPPED = 0, 1, 2


def _filters(args: argparse.Namespace) -> Filters | None:
    f = Filters(outlet=args.outlet or None, date_from=args.date_from, date_to=args.date_to, source=args.source or None)
    return None if f.is_empty() else f


def _add_filter_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--top-k", type=int, default=None, help="passages to retrieve (1-50)")
    p.add_argument("--outlet", action="append", help="keep only this outlet (repeatable)")
    p.add_argument("--source", action="append", help="keep only this source path (repeatable)")
    p.add_argument("--date-from", help="earliest date, YYYY[-MM[-DD]]")
    p.add_argument("--date-to", help="latest date, YYYY[-MM[-DD]]")
    p.add_argument("--no-derive-dates", action="store_true",
                   help="do not take dates ('2018', 'seit 2019', 'letztes Jahr', 'neueste') from the question")
    p.add_argument("--reference-date", type=date.fromisoformat, default=None,
                   help="YYYY-MM-DD that relative words count from (default: the newest article's date)")


def _derived(filters: list[DerivedFilter]) -> str:
    """One line per filter taken from the question's words."""
    lines = []
    for f in filters:
        what = "newest first" if f.kind == "newest_first" else \
            f"{f.date_from or '…'} to {f.date_to or '…'}" if f.date_from != f.date_to else str(f.date_from)
        where = "from the request" if f.origin == "request" else f"from the question: '{f.text}'"
        lines.append(f"{where} -> {what} ({f.status}{': ' + f.note if f.note else ''})")
    return "\n".join(lines)


def _pages(p: Passage | Citation) -> str | None:
    """ "p. 3" or "p. 3–4" for a passage of a PDF; None for formats without pages."""
    if p.page is None:
        return None
    return f"p. {p.page}" + (f"–{p.page_end}" if p.page_end else "")


def _also_in(copies: list[AlsoIn]) -> str:
    """ "Reuters (2022-05-12), Weser-Kurier": the other printings of a story."""
    return ", ".join(f"{c.outlet or c.source}" + (f" ({c.date})" if c.date else "") for c in copies)


PROGRESS_LINE_S = 30.0


class _ProgressLines:
    """Progress of a long ingest as a line every ``every_s`` seconds when stderr is no terminal (a log file, a
    service manager's journal), where the progress bar is off."""

    def __init__(self, every_s: float) -> None:
        self.every_s = every_s
        self.started = self.last = time.monotonic()

    def update(self, done: int, total: int) -> None:
        now = time.monotonic()
        if now - self.last < self.every_s and done < total:
            return
        self.last = now
        rate = done / max(now - self.started, 1e-9)
        print(f"ingest: {done} of {total} articles ({rate:.1f}/s)", file=sys.stderr, flush=True)


def cmd_ingest(args: argparse.Namespace, settings: Settings) -> int:
    from tqdm import tqdm

    from ingest.factory import build_ingester

    ingester = build_ingester(settings, reset=args.reset)
    bar = tqdm(total=0, unit="article", desc="embedding", disable=args.quiet or None, file=sys.stderr)
    lines = _ProgressLines(every_s=PROGRESS_LINE_S) if bar.disable and not args.quiet else None

    def progress(done: int, total: int) -> None:
        bar.total = total
        bar.n = done
        bar.refresh()
        if lines is not None:
            lines.update(done, total)

    def waiting() -> None:
        print("another ingest (or the server's upload worker) is writing this index; waiting for it",
              file=sys.stderr, flush=True)

    summary = ingester.ingest([Path(p) for p in args.paths], reset=args.reset, prune=args.prune,
                              progress=progress, wait_note=waiting)
    bar.close()
    print(summary.report())
    return EXIT_SKIPPED if summary.skipped else EXIT_OK


def cmd_search(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.factory import build_assistant

    found = build_assistant(settings).search_with_dates(args.query, args.top_k, _filters(args), args.mode,
                                                        derive_dates=not args.no_derive_dates,
                                                        reference_date=args.reference_date)
    hits = found.passages
    if args.json:
        print(json.dumps([h.model_dump() for h in hits], ensure_ascii=False, indent=2))
        return EXIT_OK
    if found.applied_filters:
        print(_derived(found.applied_filters) + "\n")
    for i, h in enumerate(hits, 1):
        meta = ", ".join(x for x in (h.outlet, h.date, h.source, _pages(h)) if x)
        print(f"{i}. [{h.score:.3f}] {h.title} ({meta})\n   {' '.join(h.text.split())[:300]}")
        if h.also_in:
            print(f"   also in: {_also_in(h.also_in)}")
        print()
    if not hits:
        print("no passages found")
    return EXIT_OK


def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.events import Final, Token
    from assistant.factory import build_assistant

    assistant = build_assistant(settings)
    final = None
    for event in assistant.ask_stream(args.question, (), args.language, args.top_k, _filters(args),
                                      derive_dates=not args.no_derive_dates, reference_date=args.reference_date):
        if isinstance(event, Token) and not args.json:
            print(event.text, end="", flush=True, file=sys.stderr)
        elif isinstance(event, Final):
            final = event.answer
    assert final is not None
    if args.json:
        print(final.model_dump_json(indent=2))
        return EXIT_OK
    print("\n", file=sys.stderr)
    if final.applied_filters:
        print(_derived(final.applied_filters))
    print(final.answer)
    if final.trace and final.trace.mode == "quoted":
        print(f"  (quoted: {final.trace.quote_reason})")
    for c in final.citations:
        meta = ", ".join(x for x in (c.outlet, c.date, c.source, _pages(c)) if x)
        print(f"  [{c.n}] {c.title} ({meta}): {' '.join(c.text.split())[:160]}…")
        if c.also_in:
            print(f"      also in: {_also_in(c.also_in)}")
    for u in final.unsupported:
        print(f"  dropped (unsupported): {u}")
    return EXIT_OK


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.factory import build_assistant

    if args.host:
        settings = settings.replace(host=args.host)
    if args.port:
        settings = settings.replace(port=args.port)
    t0 = time.perf_counter()
    assistant = build_assistant(settings)
    # The models load and the static prompts are processed while the web modules are imported (~2.5 s, mostly
    # gradio): llama.cpp and the GGUF read release the GIL. The app is built after both, as before. A daemon
    # thread, so that Ctrl-C during the start ends the process at once.
    failed: list[BaseException] = []

    def warm_up() -> None:
        try:
            assistant.warm_up()
        except BaseException as e:  # noqa: BLE001 - raised again in the main thread below
            failed.append(e)

    warming = None if args.no_warm_up else threading.Thread(target=warm_up, name="warm-up", daemon=True)
    if warming is not None:
        warming.start()
    from ui.server import import_web_modules, serve

    import_web_modules()
    if warming is not None:
        warming.join()
    if failed:
        raise failed[0]  # a failed warm-up stops the start here, with its own message
    log.info("start-up: answering from %d articles; serving on http://%s:%d (%.1f s after start)",
             assistant.health()["documents"], settings.server.host, settings.server.port, time.perf_counter() - t0)
    serve(assistant, settings)
    return EXIT_OK


def cmd_eval(args: argparse.Namespace, settings: Settings) -> int:
    if getattr(args, "timelines", False):
        from eval.timelines import run_cli

        return run_cli(args, settings)
    if getattr(args, "copies", False):
        from eval.copies import main as copies_main

        return copies_main(["--split", "test" if args.split == "test" else "dev" if args.split == "dev" else "both"]
                           + (["--out", str(args.out / "copies.json")] if args.out else []))
    from eval.run import main as eval_main

    return eval_main(args, settings)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="assistant", description=__doc__)
    parser.add_argument("--log-level", default=None, help="DEBUG, INFO, WARNING, ERROR")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("ingest", help="add or update articles (folders or files)",
                       description="Add or update articles. Read: .txt, .md (YAML front matter), .html, .jsonl "
                                   "(one article per line), .pdf (text layer; page numbers kept), .docx, and "
                                   ".rss/.atom/.xml feeds (one article per item). Anything else, and files "
                                   "that cannot be read, are named with the reason and skipped (exit status 2).")
    p.add_argument("paths", nargs="+", help="files or folders (walked recursively, hidden entries skipped)")
    p.add_argument("--reset", action="store_true", help="delete the whole index first")
    p.add_argument("--prune", action="store_true", help="remove articles that are no longer under PATHS")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("search", help="show the passages retrieval finds")
    p.add_argument("query")
    p.add_argument("--mode", choices=["hybrid", "dense", "bm25"], default=None)
    p.add_argument("--json", action="store_true")
    _add_filter_args(p)
    p.set_defaults(func=cmd_search)

    p = sub.add_parser("ask", help="answer a question with citations")
    p.add_argument("question")
    p.add_argument("--language", choices=["de", "en"], default=None)
    p.add_argument("--json", action="store_true")
    _add_filter_args(p)
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("serve", help="start the chat UI and the JSON API")
    p.add_argument("--host", default=None)
    p.add_argument("--port", type=int, default=None)
    p.add_argument("--no-warm-up", action="store_true", help="load models on the first request instead")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("eval", help="evaluate retrieval and answers on a gold question set")
    from eval.options import add_eval_args

    add_eval_args(p)
    p.set_defaults(func=cmd_eval)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "ingest":
        from ingest.pipeline import stop_on_sigterm

        stop_on_sigterm()
    try:
        settings = Settings()
    except ValidationError as e:
        print(f"error: invalid settings:\n{e}", file=sys.stderr)
        return EXIT_ERROR
    setup_logging(args.log_level or settings.server.log_level, json_lines=args.command == "serve")
    try:
        return int(args.func(args, settings))
    except AssistantError as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_ERROR
    except ValidationError as e:
        print(f"error: invalid input: {e}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("interrupted; run the same command again to finish (ingest resumes safely)", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
