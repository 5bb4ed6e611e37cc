"""XML entities a feed declares itself: plain-text and character-reference ones are
expanded; ones built of other entities (the "billion laughs" bomb) are never
expanded, and a document that uses them is a parse error, never an item whose
text is "&lol9;". Feeds here are hand-made."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from localserver import LocalServer, Reply
from seedwatch.daemon.cli import main
from seedwatch.errors import ParseError
from seedwatch.models import Document
from seedwatch.plugins.manager import build_registry

LEVELS = "\n".join(
    f' <!ENTITY lol{n} "{f"&lol{n - 1};" * 10 if n > 1 else "&lol;" * 10}">' for n in range(1, 10)
)
BOMB = f"""<?xml version="1.0"?>
<!DOCTYPE rss [
 <!ENTITY lol "lol">
{LEVELS}
]>
<rss version="2.0"><channel><title>&lol9;</title><link>http://example.org/</link>
<description>d</description>
<item><title>Laughs</title><link>http://example.org/1</link>
<description>&lol9;</description></item>
</channel></rss>
""".encode()

WORDS = " ".join(f"word{i}" for i in range(30))
FRIENDLY = f"""<?xml version="1.0"?>
<!DOCTYPE rss [
 <!ENTITY nbsp "&#160;">
 <!ENTITY company "Acme Field Notes">
]>
<rss version="2.0"><channel><title>&company;</title><link>http://example.org/</link>
<description>d</description>
<item><title>Hello&nbsp;there</title><link>http://example.org/1</link>
<description>{WORDS} from &company;</description></item>
</channel></rss>
""".encode()


def document(content: bytes) -> Document:
    return Document(url="https://example.org/feed.xml", content=content, fetched=datetime.now(UTC))


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    try:
        main(list(args))
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def test_a_billion_laughs_feed_is_a_parse_error_naming_the_entity() -> None:
    rss = build_registry(load_external=False).parsers["rss"]
    with pytest.raises(ParseError, match="&lol9;"):
        list(rss.parse(document(BOMB)))


def test_entities_of_plain_text_or_one_character_are_expanded() -> None:
    rss = build_registry(load_external=False).parsers["rss"]
    (item,) = rss.parse(document(FRIENDLY))
    assert item.site == "Acme Field Notes"
    assert item.title == "Hello there"  # a title is one line of plain spaces
    assert item.text.endswith("from Acme Field Notes")


def test_seedwatch_parse_exits_1_on_the_bomb(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    feed = tmp_path / "lol.xml"
    feed.write_bytes(BOMB)
    code, out, err = cli(capsys, "parse", str(feed), "--json")
    assert code == 1 and out == ""
    assert "&lol9;" in err and len(err.strip().splitlines()) == 1


def test_a_poll_of_the_bomb_fails_as_parse_and_writes_nothing(
    tmp_path: Path, server: LocalServer, capsys: pytest.CaptureFixture[str]
) -> None:
    url = server.route("/lol.xml", Reply(body=BOMB))
    config = tmp_path / "seedwatch.toml"
    config.write_text(f'[[sources]]\nid = "lol"\nurl = "{url}"\n')
    code, out, err = cli(capsys, "--config", str(config), "run", "--once")
    assert code == 1 and "FAILED (parse)" in err
    assert out == ""
    corpus = tmp_path / "corpus"
    assert not corpus.exists() or list(corpus.iterdir()) == []
