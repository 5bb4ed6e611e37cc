"""Parser ``frontmatter``: blog posts kept as Markdown or HTML with front-matter.

Owns reading the posts that Jekyll, Hugo and the WordPress exporters
(jekyll-import, wordpress-to-jekyll-exporter, wordpress-to-hugo-exporter)
write: a YAML (``---``), TOML (``+++``) or JSON (``{...}``) block, then the
body. YAML goes through ``seedwatch.safeyaml`` only. Also reads seedwatch's
own corpus files (``seedwatch: 1`` in the front-matter), returning the
recorded item exactly.

Field mapping (key names are matched case-insensitively, as Hugo does):

- ``title``: a list-valued title (Yoast postmeta) takes its first element;
  HTML entities decoded, invisible characters (U+FEFF...) dropped.
- ``published``: ``date``, else ``publishDate``, else a ``published`` that is a
  date (``published: false`` is a draft flag, not a date).
- ``updated``: ``lastmod``, ``last_modified_at``, ``updated`` or ``modified``.
- ``author`` / ``authors``: a string, a list, or a map (``display_name``,
  ``name``, ``first_name`` + ``last_name``, ``login``); several are joined
  with ", ".
- ``tags`` then ``categories``, as tags (a string holding commas is split on
  them, else on whitespace as Jekyll does).
- everything else goes to ``extra`` (so does a date key whose value was
  not used or could not be read), made JSON-serialisable (dates as ISO
  strings, ``bytes`` as base64).

Dates: offsets such as ``+1000`` are understood. A naive date-time or a bare
date is taken in ``source.options["timezone"]`` (as Jekyll takes them in the
site's ``timezone``), else in UTC (a bare date at midnight); either case is
recorded in ``extra["dates_assumed"]``.

Drafts (``draft: true``, ``published: false``, ``status`` draft, pending,
private, trash or auto-draft) yield no item and are logged at info level;
so do posts with no text after the front-matter.

Body: Hugo shortcodes (``{{< ... >}}``, ``{{% ... %}}``) are dropped, and so
are WordPress shortcode tags (``[caption ...]``, ``[sourcecode]``,
``[slideshare ...]``, and any ``[name]`` that has a ``[/name]``), their inner
text kept. ``.html`` files (or ``text/html`` documents) are HTML; anything
else is Markdown, rendered by markdown-it-py (CommonMark, tables,
strikethrough) and turned into plain text with ``seedwatch.text.html_to_text``.
A document whose text is UTF-8 decoded twice (mojibake such as ``despuÃ©s``)
is repaired when the whole text round-trips exactly.

URL: the ``permalink`` (or ``url``) appended to ``source.options["base_url"]``
when the config gives one; otherwise an absolute ``permalink``/``url``, else
an absolute ``guid``, else jekyll-import's ``wordpress_url``.

Key (stable across polls): the ``guid``; else the item's absolute URL; else
``"<source id>:<id, slug or file>"`` (without a source, the file name stands
for the source id). The file part is the path relative to the source's
folder for local files, else the last path segment (``parent/index.md`` for
Hugo page bundles).

Modules: ``formats`` (splitting and loading the block), ``values`` (dates,
authors, tags, JSON-safe extras), ``bodies`` (shortcodes, mojibake),
``keys`` (a post's URL and fallback key from its source), ``corpus_files``
(seedwatch's own files) and ``parser`` (the ``Parser`` and its hook). This
``__init__`` holds no logic: it re-exports the public names, and the plugin
manager registers it (it carries ``register_parsers``).
"""

from seedwatch.plugins.builtin.frontmatter.bodies import repair_mojibake, strip_shortcodes
from seedwatch.plugins.builtin.frontmatter.corpus_files import CORPUS_FORMAT, NAME, corpus_item
from seedwatch.plugins.builtin.frontmatter.formats import FrontMatter, split
from seedwatch.plugins.builtin.frontmatter.parser import FrontMatterParser, register_parsers
from seedwatch.plugins.builtin.frontmatter.values import as_datetime, json_safe, source_timezone

__all__ = [
    "CORPUS_FORMAT",
    "NAME",
    "FrontMatter",
    "FrontMatterParser",
    "as_datetime",
    "corpus_item",
    "json_safe",
    "register_parsers",
    "repair_mojibake",
    "source_timezone",
    "split",
    "strip_shortcodes",
]
