"""The MusicXML 4.0 XSD (vendored under tests/data/musicxml-4.0), loaded with lxml."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from lxml import etree

SCHEMA_DIR = Path(__file__).parents[1] / "data" / "musicxml-4.0"


class _LocalSchemas(etree.Resolver):  # type: ignore[misc]
    """Resolves http://www.musicxml.org/xsd/<name> to the vendored copy, as catalog.xml does."""

    def resolve(self, url: str, public_id: str, context: Any) -> Any:
        local = SCHEMA_DIR / url.rsplit("/", 1)[-1]
        if not local.is_file():
            raise FileNotFoundError(f"the schema imports {url}, which is not vendored")
        return self.resolve_filename(str(local), context)


@cache
def musicxml_schema() -> etree.XMLSchema:
    parser = etree.XMLParser(no_network=True)
    parser.resolvers.add(_LocalSchemas())
    return etree.XMLSchema(etree.parse(str(SCHEMA_DIR / "musicxml.xsd"), parser))


def schema_errors(document: bytes) -> list[str]:
    """Why ``document`` is not valid MusicXML 4.0 (an empty list when it is)."""
    schema = musicxml_schema()
    if schema.validate(etree.fromstring(document)):
        return []
    return [f"line {error.line}: {error.message}" for error in schema.error_log]
