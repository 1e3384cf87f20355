"""Knowledge articles as Markdown files with YAML front matter, one file per language version.

A file is named ``<slug>.<language>.md``; the front matter holds the fields and the Markdown
below it is the body. ``import_folder`` and ``export_folder`` round-trip: importing what was
exported changes nothing. See docs/knowledge-base.md for the format.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import frontmatter
import yaml
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_slug
from django.db import transaction
from frontmatter.default_handlers import YAMLHandler

from supportbot.knowledge.models import KnowledgeArticle

REQUIRED = ("slug", "language", "title")
# Front-matter keys in the order export writes them; anything else is refused, so a typo
# such as "publised: false" cannot silently publish an article.
FIELDS = (
    "slug", "language", "topic", "title", "url", "tags", "keywords", "questions", "published",
)  # fmt: skip
# What import compares and writes besides the (slug, language) key.
_CONTENT_FIELDS = (
    "topic", "title", "body", "url", "tags", "keywords", "questions", "published",
)  # fmt: skip
# Lower case, as retrieval compares languages lower-cased; no dots, they separate the file name.
LANGUAGE_RE = re.compile(r"[a-z]{2,3}(-[a-z0-9]{2,8})*")
_url_validator = URLValidator(schemes=["http", "https"])
# Only YAML front matter ("---"); the library would also take TOML or JSON.
_YAML = YAMLHandler()


@dataclass(slots=True)
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged


def normalize_body(text: str) -> str:
    """The body as import stores it: LF line endings, no blank space around it.

    The front-matter parser strips the body, and text mode reads CRLF as LF; the admin form
    stores bodies the same way, so every article exports and re-imports unchanged.
    """
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()


def file_name(slug: str, language: str) -> str:
    return f"{slug}.{language}.md"


def read_article_file(path: Path | str) -> dict[str, Any]:
    """The fields of the article in ``path``, validated; ``ValueError`` names file and problem."""
    path = Path(path)
    try:
        # utf-8-sig: some editors on Windows start the file with a byte-order mark.
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path}: cannot read: {exc}") from exc
    if not _YAML.detect(text.lstrip()):
        raise ValueError(f"{path}: no front matter (the file must start with a '---' block)")
    try:
        meta, body = frontmatter.parse(text, handler=_YAML)
    except yaml.YAMLError as exc:
        raise ValueError(f"{path}: invalid front matter: {exc}") from exc
    if not isinstance(meta, dict) or not meta:
        raise ValueError(f"{path}: the front matter must be 'field: value' lines closed by '---'")
    try:
        fields = _validated(meta, body)
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from exc
    expected = file_name(fields["slug"], fields["language"])
    if path.name != expected:
        # A copied file whose language was not changed would overwrite the other version.
        raise ValueError(f"{path}: the file for this slug and language must be named {expected}")
    return fields


def _validated(meta: dict[str, Any], body: str) -> dict[str, Any]:
    unknown = sorted(str(key) for key in meta if key not in FIELDS)
    if unknown:
        raise ValueError(f"unknown field(s) {', '.join(unknown)}; allowed: {', '.join(FIELDS)}")
    missing = [name for name in REQUIRED if meta.get(name) in (None, "")]
    if missing:
        raise ValueError(f"missing required field(s): {', '.join(missing)}")
    fields: dict[str, Any] = {
        "slug": meta["slug"],
        "language": meta["language"],
        "topic": meta.get("topic") or "",
        "title": meta["title"],
        "url": meta.get("url") or "",
        "tags": meta.get("tags") or [],
        "keywords": meta.get("keywords") or [],
        "questions": meta.get("questions") or [],
        "published": meta.get("published", True),
        "body": normalize_body(body),
    }
    for name in ("slug", "language", "topic", "title", "url"):
        # YAML reads `language: no` as false and `title: 2024` as a number: ask for quotes.
        if not isinstance(fields[name], str):
            raise ValueError(f"{name} must be text (put it in quotes): got {fields[name]!r}")
        limit = KnowledgeArticle._meta.get_field(name).max_length
        if len(fields[name]) > limit:
            raise ValueError(f"{name} is longer than {limit} characters")
    for name in ("tags", "keywords", "questions"):
        value = fields[name]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ValueError(f"{name} must be a list of text, e.g. [a, b]: got {value!r}")
    if not isinstance(fields["published"], bool):
        raise ValueError(f"published must be true or false: got {fields['published']!r}")
    if not fields["body"]:
        raise ValueError("missing required field: body (the text below the front matter)")
    try:
        validate_slug(fields["slug"])
    except ValidationError:
        raise ValueError(
            f"slug {fields['slug']!r} may hold only letters, digits, '-' and '_'"
        ) from None
    if not LANGUAGE_RE.fullmatch(fields["language"]):
        raise ValueError(
            f"language {fields['language']!r} must be a lower-case code such as en or pt-br"
        )
    if fields["url"]:
        try:
            _url_validator(fields["url"])
        except ValidationError:
            raise ValueError(f"url {fields['url']!r} must be an http(s) URL") from None
    return fields


def import_folder(path: Path) -> ImportReport:
    """Create or update one article per ``*.md`` file in ``path``, keyed by (slug, language).

    Every file is read and checked before anything is written, and all writes happen in one
    transaction: a bad file changes nothing. Articles without a file are left alone (never
    deleted). Rows are saved one by one so that post_save receivers see each change.
    """
    path = Path(path)
    if not path.is_dir():
        raise ValueError(f"{path}: not a directory")
    files = sorted(path.glob("*.md"))
    if not files:
        raise ValueError(f"{path}: no *.md files")
    wanted: dict[tuple[str, str], dict[str, Any]] = {}
    source: dict[tuple[str, str], Path] = {}
    for file in files:
        fields = read_article_file(file)
        key = (fields["slug"], fields["language"])
        if key in source:
            raise ValueError(f"{file}: slug and language already used by {source[key]}")
        wanted[key], source[key] = fields, file

    report = ImportReport()
    with transaction.atomic():
        existing = {
            (a.slug, a.language): a
            for a in KnowledgeArticle.objects.filter(slug__in={slug for slug, _ in wanted})
        }
        for key, fields in wanted.items():
            article = existing.get(key)
            if article is None:
                KnowledgeArticle.objects.create(**fields)
                report.created += 1
                continue
            changed = [f for f in _CONTENT_FIELDS if getattr(article, f) != fields[f]]
            if not changed:
                report.unchanged += 1
                continue
            for name in changed:
                setattr(article, name, fields[name])
            article.save(update_fields=[*changed, "updated_at"])
            report.updated += 1
    return report


def article_text(article: KnowledgeArticle) -> str:
    """The Markdown file for ``article``: front matter in ``FIELDS`` order, then the body."""
    meta = {name: getattr(article, name) for name in FIELDS}
    # default_flow_style=None writes lists inline ([a, b]) and the mapping one key a line.
    text = frontmatter.dumps(
        frontmatter.Post(normalize_body(article.body), **meta),
        handler=_YAML,
        sort_keys=False,
        default_flow_style=None,
        allow_unicode=True,
        width=1000,  # one line per field, however long: easier to read and to diff
    )
    return text + "\n"


def export_folder(path: Path) -> int:
    """Write every article, published or not, to ``path``; returns how many were written.

    Existing files of the same name are overwritten; other files in ``path`` are left alone.
    """
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise ValueError(f"{path}: not a directory")
    path.mkdir(parents=True, exist_ok=True)
    count = 0
    for article in KnowledgeArticle.objects.order_by("slug", "language").iterator():
        target = path / file_name(article.slug, article.language)
        target.write_text(article_text(article), encoding="utf-8")
        count += 1
    return count
