"""The skinmap web app with the tantivy baseline behind it: the same Starlette endpoints, only the
search backend differs (for HTTP benchmarks)."""

from __future__ import annotations

from pathlib import Path

from starlette.applications import Starlette

from benchmarks.fts5_app import BaselineDirectory
from benchmarks.tantivy_baseline import TantivySearch
from search_web.app import WebSettings
from search_web.app import create_app as create_web_app


class TantivyDirectory(BaselineDirectory):
    """Answers the web app's Directory calls from the tantivy baseline index."""

    def __init__(self, data_dir: Path) -> None:
        self.baseline = TantivySearch(Path(data_dir) / "tantivy")


def create_app() -> Starlette:
    settings = WebSettings.from_env()
    settings.directory_factory = TantivyDirectory
    return create_web_app(settings)
