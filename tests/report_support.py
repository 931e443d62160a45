"""The HTML report's test helpers: the tiny inline reference, the fast settings, and the check
that a report is one self-contained document with every section (a Page of its tags and texts).
Used by tests/unit/test_report.py and tests/integration/train/test_report_built.py."""

from __future__ import annotations

import base64
from html.parser import HTMLParser

from mlpay_model.compare import DataFile, Reference
from training.report import Settings

SECTIONS = ("summary", "peers", "variation", "skills", "claims", "method", "caveats", "footer")
FAST = Settings(min_rows=20, max_people=200, resamples=100, seed=0)


class Page(HTMLParser):
    """Tags with their attributes, and the text inside each element that has an id."""

    def __init__(self, document: str):
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text_by_id: dict[str, str] = {}
        self._open: list[tuple[str, str | None]] = []
        self.feed(document)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if tag not in ("img", "meta", "br"):
            self._open.append((tag, attributes.get("id")))
            if attributes.get("id"):
                self.text_by_id[str(attributes["id"])] = ""

    def handle_endtag(self, tag: str) -> None:
        while self._open:
            open_tag, _ = self._open.pop()
            if open_tag == tag:
                break

    def handle_data(self, data: str) -> None:
        for _, element_id in self._open:
            if element_id:
                self.text_by_id[element_id] += data

    def attributes(self, element_id: str) -> dict[str, str | None]:
        return next(attrs for _, attrs in self.tags if attrs.get("id") == element_id)


def tiny_reference() -> Reference:
    from artifact_factory import canonical_frame

    profiles = canonical_frame(rows=1500)  # enough US ML engineers for the pay claim
    data_file = DataFile(
        source="inline",
        file="tests/artifact_factory.py",
        sha256="0" * 64,
        model_sha256="0" * 64,
        rows_read=len(profiles),
        rows_kept=len(profiles),
    )
    return Reference(profiles=profiles, files=(data_file,))


def check_self_contained(document: str) -> Page:
    page = Page(document)
    assert document.startswith("<!DOCTYPE html>")
    tags = [tag for tag, _ in page.tags]
    assert tags.count("html") == 1 and tags.count("body") == 1
    assert "script" not in tags and "link" not in tags and "iframe" not in tags
    images = [attrs for tag, attrs in page.tags if tag == "img"]
    assert images, "the report has no plots"
    for attrs in images:
        source = str(attrs.get("src"))
        assert source.startswith("data:image/png;base64,")
        assert base64.b64decode(source.split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"
        assert attrs.get("alt")
    for _, attrs in page.tags:
        for name in ("src", "href"):
            value = (attrs.get(name) or "").strip().lower()
            assert not value.startswith(("http:", "https:", "//")), f"{name}={value}"
    assert "url(" not in document  # no CSS fetching anything
    for section in SECTIONS:
        assert section in page.text_by_id, f"section {section!r} missing"
    return page
