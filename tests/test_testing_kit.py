"""seedwatch.testing: the contract check passes a good parser and names each breach of a
bad one; the network guard; the document helpers; the pytest plugin in a real pytest run."""

from __future__ import annotations

import contextlib
import gzip
import itertools
import os
import socket
import subprocess
import sys
import textwrap
import urllib.request
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from datetime import datetime
from importlib.metadata import entry_points
from pathlib import Path

import pytest

import seedwatch.testing
from localserver import LocalServer, Reply
from pytest_outcome import run_pytest
from seedwatch import Document, Item, ParseError, Parser, hookimpl
from seedwatch.testing import (
    SAMPLES,
    ContractError,
    NetworkBlocked,
    build_test_registry,
    builtin_samples,
    check_parser,
    document_from_file,
    make_document,
    no_network,
    parse_bytes,
    parse_file,
    parse_url,
)

DATA = Path(__file__).parent / "data"

# HAND-MADE: a tiny tab-separated format invented for these tests (no real
# format is needed to exercise the checker; real formats are checked in
# tests/test_example_plugin.py). Header line, then id, date, URL, text.
TSV = (
    b"#seedwatch-tsv 1\n"
    b"1\t2024-05-01T10:00:00+02:00\thttps://example.org/p/1\tFirst post.\n"
    b"2\t2024-05-02T11:30:00+02:00\thttps://example.org/p/2\tSecond post, a reply.\n"
)


class TsvParser(Parser):
    """A good parser: cheap sniff on a header, ParseError on anything unreadable."""

    name = "tsv"
    header = b"#seedwatch-tsv 1\n"

    def sniff(self, document: Document) -> float:
        return 0.9 if document.content.startswith(self.header) else 0.0

    def parse(self, document: Document) -> Iterator[Item]:
        if not document.content.startswith(self.header):
            raise ParseError(f"{document.url}: no '#seedwatch-tsv 1' header")
        lines = document.content[len(self.header) :].decode("utf-8").splitlines()
        for number, line in enumerate(lines, 2):
            fields = line.split("\t")
            if len(fields) != 4:
                raise ParseError(f"{document.url}: line {number}: expected 4 tab-separated fields")
            post_id, date, url, text = fields
            yield self.item(post_id, datetime.fromisoformat(date), url, text)

    def item(self, post_id: str, published: datetime, url: str, text: str) -> Item:
        return Item(key=f"tsv:{post_id}", text=text, parser=self.name, url=url, published=published)

    def next_pages(self, document: Document) -> Iterable[str]:
        return ["https://example.org/page/2"]


def contract_problems(parser: Parser, *documents: bytes | Document) -> list[str]:
    with pytest.raises(ContractError) as failure:
        check_parser(parser, documents or [TSV])
    assert str(failure.value).startswith(f"parser {parser.name!r} breaks the seedwatch parser")
    return failure.value.problems


def only(problems: list[str], fragment: str) -> str:
    """The one problem holding ``fragment``; fails listing all of them otherwise."""
    matching = [p for p in problems if fragment in p]
    assert len(matching) == 1, problems
    return matching[0]


# -- a good parser passes -----------------------------------------------------


def test_a_good_parser_passes_and_the_report_holds_its_items() -> None:
    report = check_parser(TsvParser(), [TSV])
    assert [i.key for i in report.items["document 1"]] == ["tsv:1", "tsv:2"]
    assert report.items["document 1"][1].text == "Second post, a reply."
    assert sorted(report.foreign_checked) == sorted(s.name for s in SAMPLES)


def test_documents_may_be_files_and_are_named_after_them(tmp_path: Path) -> None:
    sample = tmp_path / "posts.tsv"
    sample.write_bytes(TSV)
    report = check_parser(TsvParser(), [sample])
    assert list(report.items) == ["posts.tsv"]


# -- each kind of bad parser fails, saying why --------------------------------


def test_claiming_a_builtin_format_fails_naming_the_sample() -> None:
    class Greedy(TsvParser):
        def sniff(self, document: Document) -> float:
            return 0.3 if b"<rss" in document.content[:2000] else super().sniff(document)

    problem = only(contract_problems(Greedy()), "rss2-iso-8859-1")
    assert "returned 0.3 for a document of another format" in problem


def test_a_sniff_outside_zero_to_one_or_not_a_number_fails() -> None:
    class TooSure(TsvParser):
        def sniff(self, document: Document) -> float:
            return 2.0 if document.content.startswith(self.header) else 0.0

    class Boolean(TsvParser):
        def sniff(self, document: Document) -> float:
            return document.content.startswith(self.header)  # type: ignore[return-value]

    assert "returned 2.0; expected a number in [0, 1]" in only(
        contract_problems(TooSure()), "sniff(document 1)"
    )
    assert "returned True; expected a number" in only(
        contract_problems(Boolean()), "sniff(document 1)"
    )


def test_not_claiming_its_own_sample_fails() -> None:
    class Shy(TsvParser):
        def sniff(self, document: Document) -> float:
            return 0.0

    assert "returned 0 for the parser's own sample" in only(contract_problems(Shy()), "sniff(")


def test_a_sniff_that_raises_on_another_format_fails() -> None:
    class Fragile(TsvParser):
        def sniff(self, document: Document) -> float:
            document.content.decode("utf-8")  # the ISO-8859-1 feed is not UTF-8
            return super().sniff(document)

    problem = only(contract_problems(Fragile()), "rss2-iso-8859-1")
    assert "raised UnicodeDecodeError" in problem


def test_yielding_something_that_is_not_an_item_fails() -> None:
    class Dicts(TsvParser):
        def parse(self, document: Document) -> Iterator[Item]:
            for item in super().parse(document):
                yield item.to_json()  # type: ignore[misc]

    problem = only(contract_problems(Dicts()), "item 1")
    assert "is a dict, not a seedwatch.Item" in problem


def test_a_date_without_time_zone_fails_naming_the_field() -> None:
    class Naive(TsvParser):
        def item(self, post_id: str, published: datetime, url: str, text: str) -> Item:
            return super().item(post_id, published.replace(tzinfo=None), url, text)

    problem = only(contract_problems(Naive()), "parse(document 1)")
    assert "ItemValidationError" in problem and "'published'" in problem
    assert "has no time zone" in problem


def test_empty_text_and_a_wrong_parser_name_fail() -> None:
    class Empty(TsvParser):
        def item(self, post_id: str, published: datetime, url: str, text: str) -> Item:
            return super().item(post_id, published, url, "  \n")

    class Impostor(TsvParser):
        def item(self, post_id: str, published: datetime, url: str, text: str) -> Item:
            return replace(super().item(post_id, published, url, text), parser="rss")

    assert "key 'tsv:1': empty text" in only(
        contract_problems(Empty()), "parse(document 1): item 1"
    )
    assert "parser is 'rss', expected 'tsv'" in only(
        contract_problems(Impostor()), "parse(document 1): item 1"
    )


def test_duplicate_keys_and_shared_urls_fail() -> None:
    class OneKey(TsvParser):
        def item(self, post_id: str, published: datetime, url: str, text: str) -> Item:
            return super().item("same", published, url, text)

    class PageUrl(TsvParser):
        def item(self, post_id: str, published: datetime, url: str, text: str) -> Item:
            return super().item(post_id, published, "https://example.org/thread", text)

    problems = contract_problems(OneKey())
    assert "2 items share the key 'tsv:same'" in only(problems, "parse(document 1): 2 items")
    problem = only(contract_problems(PageUrl()), "parse(document 1): 2 items share the url")
    assert "own permalink" in problem


def test_keys_from_the_fetch_time_or_a_counter_fail() -> None:
    class FetchTime(TsvParser):
        def parse(self, document: Document) -> Iterator[Item]:
            for item in super().parse(document):
                yield replace(item, key=f"{item.key}@{document.fetched.date()}")

    counter = itertools.count()

    class Counter(TsvParser):
        def item(self, post_id: str, published: datetime, url: str, text: str) -> Item:
            return super().item(str(next(counter)), published, url, text)

    for parser in (FetchTime(), Counter()):
        problem = only(contract_problems(parser), "a second parse gave other keys")
        assert "keys must be stable across fetches" in problem


def test_a_relative_next_page_fails() -> None:
    class Relative(TsvParser):
        def next_pages(self, document: Document) -> Iterable[str]:
            return ["/page/2"]

    problem = only(contract_problems(Relative()), "next_pages(document 1)")
    assert "'/page/2' is not an absolute URL" in problem


def test_network_io_while_parsing_is_blocked_and_reported_with_the_calling_line(
    server: LocalServer,
) -> None:
    url = server.route("/extra", Reply(body=b"more"))

    class Fetching(TsvParser):
        def parse(self, document: Document) -> Iterator[Item]:
            urllib.request.urlopen(url, timeout=5).read()  # the forbidden I/O
            yield from super().parse(document)

    problem = only(contract_problems(Fetching()), "parse(document 1): tried network I/O")
    assert "socket.create_connection(('127.0.0.1'" in problem
    assert f"{__file__}:" in problem and "in parse" in problem
    assert server.hits("/extra") == []  # blocked before any byte left


def test_network_io_is_reported_even_when_the_parser_swallows_the_error() -> None:
    class Swallowing(TsvParser):
        def sniff(self, document: Document) -> float:
            with contextlib.suppress(OSError):
                socket.getaddrinfo("example.org", 443)
            return super().sniff(document)

    problems = contract_problems(Swallowing())
    assert any("sniff(document 1): tried network I/O: socket.getaddrinfo('example.org', 443)" in p
               for p in problems), problems  # fmt: skip


def test_garbage_must_raise_parse_error_and_nothing_else() -> None:
    class Crashing(TsvParser):
        def parse(self, document: Document) -> Iterator[Item]:
            document.content.decode("ascii")
            yield from super().parse(document)

    class Lenient(TsvParser):
        def parse(self, document: Document) -> Iterator[Item]:
            if document.content.startswith(self.header):
                yield from super().parse(document)

    problem = only(contract_problems(Crashing()), "parse(garbage)")
    assert "raised UnicodeDecodeError" in problem and "raise ParseError" in problem
    problems = contract_problems(Lenient())
    assert "yielded 0 item(s) without error" in only(problems, "parse(empty)")
    assert "yielded 0 item(s) without error" in only(problems, "parse(garbage)")


def test_every_problem_is_listed_at_once() -> None:
    class Bad(TsvParser):
        def sniff(self, document: Document) -> float:
            return 0.5

        def next_pages(self, document: Document) -> Iterable[str]:
            return ["page2"]

    problems = contract_problems(Bad())
    assert len(problems) == len(SAMPLES) + 3  # every sample, next_pages, empty, garbage


def test_a_replacement_for_a_builtin_parser_may_skip_its_samples() -> None:
    class AlsoRss(TsvParser):
        def sniff(self, document: Document) -> float:
            return 0.5 if b"<rss" in document.content[:2000] else super().sniff(document)

    report = check_parser(AlsoRss(), [TSV], skip_foreign={"rss2-iso-8859-1"})
    assert "rss2-iso-8859-1" not in report.foreign_checked
    with pytest.raises(ValueError, match="unknown sample or parser names"):
        check_parser(AlsoRss(), [TSV], skip_foreign={"rss3"})


# -- the network guard --------------------------------------------------------


def test_no_network_restores_the_socket_functions_after_the_block() -> None:
    before = (socket.create_connection, socket.getaddrinfo, "connect" in socket.socket.__dict__)
    with no_network() as attempts, pytest.raises(NetworkBlocked):
        socket.create_connection(("127.0.0.1", 9))
    assert [a.call for a in attempts] == ["socket.create_connection"]
    after = (socket.create_connection, socket.getaddrinfo, "connect" in socket.socket.__dict__)
    assert after == before
    with socket.create_server(("127.0.0.1", 0)) as listener:  # real connections work again
        socket.create_connection(listener.getsockname(), timeout=5).close()


def test_no_network_blocks_raw_socket_connects_too() -> None:
    with no_network() as attempts, socket.socket() as raw, pytest.raises(NetworkBlocked):
        raw.connect(("127.0.0.1", 9))
    assert str(attempts[0]).startswith("socket.socket.connect(('127.0.0.1', 9)) from ")


# -- samples and document helpers ---------------------------------------------


def test_samples_are_the_test_data_files_byte_for_byte() -> None:
    for sample in SAMPLES:
        assert sample.content() == (DATA / sample.origin).read_bytes(), sample.name
        packed = Path(seedwatch.testing.__file__).parent / "data"
        assert gzip.decompress((packed / f"{sample.file}.gz").read_bytes()) == sample.content()


def test_each_sample_is_claimed_by_the_builtin_parser_it_names() -> None:
    registry = build_test_registry()
    for name, document in builtin_samples().items():
        [sample] = [s for s in SAMPLES if s.name == name]
        assert registry.parsers[sample.parser].sniff(document) > 0, name


def test_parse_helpers_read_bytes_files_and_local_urls(tmp_path: Path, server: LocalServer) -> None:
    registry = build_test_registry(TsvPlugin())
    assert [i.key for i in parse_bytes(TsvParser(), TSV)] == ["tsv:1", "tsv:2"]
    feed = DATA / "feeds" / "rss2_lecerclepsy_no-prolog_iso-8859-1.xml"
    items = parse_file(registry, feed)  # the registry sniffs: the rss parser reads it
    # 10 <item>s; the 4th is empty (no title, link nor description): 9 items
    assert len(items) == 9 and {i.parser for i in items} == {"rss"}
    url = server.route("/posts.tsv", Reply(body=TSV, content_type="text/tab-separated-values"))
    assert [i.url for i in parse_url(registry, url)] == [
        "https://example.org/p/1",
        "https://example.org/p/2",
    ]
    document = document_from_file(feed)
    assert document.url == feed.resolve().as_uri() and document.media_type == "application/xml"
    assert make_document("é").content == "é".encode()


def test_fetch_document_refuses_anything_but_loopback() -> None:
    with pytest.raises(ValueError, match=r"only fetches from 127\.0\.0\.1"):
        parse_url(TsvParser(), "https://example.org/feed.xml")


class TsvPlugin:
    @hookimpl
    def register_parsers(self, register: Callable[[Parser], None]) -> None:
        register(TsvParser())


# -- the pytest plugin ----------------------------------------------------------


def test_the_pytest_plugin_is_registered_through_its_entry_point() -> None:
    [ep] = [ep for ep in entry_points(group="pytest11") if ep.name == "seedwatch"]
    assert ep.value == "seedwatch.testing"


def test_importing_the_kit_patches_nothing() -> None:
    code = (
        "import socket; before = (socket.create_connection, socket.getaddrinfo); "
        "import seedwatch.testing; "
        "assert (socket.create_connection, socket.getaddrinfo) == before; "
        "assert 'connect' not in socket.socket.__dict__; "
        "import sys; assert 'httpx' not in sys.modules, 'httpx imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_fixtures_work_in_a_plugin_authors_own_test_suite(tmp_path: Path) -> None:
    """A real pytest run in another folder: the fixtures come from the entry point."""
    (tmp_path / "tsv_plugin.py").write_text(
        textwrap.dedent(
            """
            from datetime import datetime
            from seedwatch import Item, ParseError, Parser, hookimpl

            class Tsv(Parser):
                name = "tsv"

                def sniff(self, document):
                    return 0.9 if document.content.startswith(b"#seedwatch-tsv 1\\n") else 0.0

                def parse(self, document):
                    if not self.sniff(document):
                        raise ParseError("not a seedwatch-tsv document")
                    for line in document.content.decode().splitlines()[1:]:
                        post_id, date, url, text = line.split("\\t")
                        yield Item(key=f"tsv:{post_id}", text=text, parser=self.name, url=url,
                                   published=datetime.fromisoformat(date))

            @hookimpl
            def register_parsers(register):
                register(Tsv())
            """
        )
    )
    (tmp_path / "conftest.py").write_text(
        "import pytest, tsv_plugin\n\n"
        "@pytest.fixture\ndef seedwatch_plugins():\n    return [tsv_plugin]\n"
    )
    (tmp_path / "test_it.py").write_text(
        textwrap.dedent(
            f"""
            from seedwatch.testing import check_parser, make_document
            TSV = {TSV!r}

            def test_registry_has_the_plugin_and_builtins(seedwatch_registry):
                assert "tsv" in seedwatch_registry.parsers and "rss" in seedwatch_registry.parsers
                assert seedwatch_registry.sniff(make_document(TSV)).name == "tsv"

            def test_contract(seedwatch_registry, seedwatch_samples):
                assert "seed-004" in seedwatch_samples
                check_parser(seedwatch_registry.parsers["tsv"], [TSV])
            """
        )
    )
    outcome = run_pytest(
        sys.executable,
        str(tmp_path),
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(tmp_path)},
        timeout=120,
    )
    assert outcome.returncode == 0, outcome.output
    assert (outcome.passed, outcome.tests) == (2, 2), outcome.output
