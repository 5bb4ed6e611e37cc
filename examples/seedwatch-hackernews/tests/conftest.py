"""Fixtures: the plugin under test for seedwatch.testing, and the recorded API responses.

``tests/data/hacker_news_job.yml`` is a VCR cassette: real requests to the
Hacker News API and the responses it gave, recorded by another project
(tests/data/SOURCES.md). ``recorded`` turns it into Documents as seedwatch's
fetcher would hand them to the parser.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest
import yaml
from seedwatch import Document
from seedwatch.testing import make_document

import seedwatch_hackernews.plugin

CASSETTE = Path(__file__).parent / "data" / "hacker_news_job.yml"


class _CassetteLoader(yaml.SafeLoader):
    """A safe loader that also reads Ruby's ``!binary`` (base64) scalars, which VCR
    writes for bodies that are not valid in its YAML emitter's encoding."""


def _binary(loader: yaml.SafeLoader, node: yaml.Node) -> bytes:
    assert isinstance(node, yaml.ScalarNode)
    return base64.b64decode(loader.construct_scalar(node))


_CassetteLoader.add_constructor("!binary", _binary)


def load_cassette(path: Path = CASSETTE) -> dict[str, tuple[int, str, bytes]]:
    """Each recorded URI with its status, Content-Type and exact body bytes."""
    data: dict[str, Any] = yaml.load(path.read_bytes(), _CassetteLoader)
    recorded = {}
    for interaction in data["http_interactions"]:
        response = interaction["response"]
        body = response["body"]["string"]
        content = body if isinstance(body, bytes) else body.encode("utf-8")
        length = int(response["headers"]["Content-Length"][0])
        assert len(content) == length, interaction["request"]["uri"]  # the body is exact
        recorded[interaction["request"]["uri"]] = (
            response["status"]["code"],
            response["headers"]["Content-Type"][0],
            content,
        )
    return recorded


@pytest.fixture
def seedwatch_plugins() -> list[object]:
    return [seedwatch_hackernews.plugin]


@pytest.fixture(scope="session")
def recorded() -> dict[str, Document]:
    """The cassette's responses as Documents, by their API URL."""
    return {
        uri: make_document(content, url=uri, media_type=content_type.split(";")[0])
        for uri, (_, content_type, content) in load_cassette().items()
    }
