"""seedwatch's own corpus files (``seedwatch: 1`` front-matter) read back as
the Item they record: the one reader is ``seedwatch.corpus.item_from``, so the
indexer and this parser cannot disagree on the format."""

from __future__ import annotations

from seedwatch import corpus
from seedwatch.models import Item
from seedwatch.plugins.builtin.frontmatter.formats import FrontMatter

NAME = "frontmatter"
CORPUS_FORMAT = corpus.FORMAT_VERSION  # the `seedwatch: N` version this parser reads


def corpus_item(found: FrontMatter, where: str) -> Item:
    """The Item a ``seedwatch: 1`` corpus file records, exactly: the body verbatim."""
    return corpus.item_from(dict(found.meta), found.body, where)
