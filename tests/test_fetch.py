"""The fetcher against real sockets on 127.0.0.1: conditional GET, charsets,
content encodings, size caps, timeouts, redirects, HTTP errors, local files.

Charset tests serve real fixtures of tests/data/feeds and tests/data/forum:
the ibash feed (windows-1251 declared in the XML prolog only), the .NET feed
(a UTF-8 byte-order mark, served with a contradicting iso-8859-1 header),
Le Cercle Psy (Latin-1 bytes declared nowhere), and an AnimeSuki vBulletin 3.8
page (declares ISO-8859-1, holds cp1252 punctuation such as 0x94). Other
bodies (compressed streams, bombs, trickling servers) are made here, in the
test that uses them.
"""

from __future__ import annotations

import codecs
import functools
import random
import socket
import threading
import time
import tracemalloc
import zlib
from collections.abc import Callable, Iterator
from email.utils import formatdate
from pathlib import Path

import brotli
import httpx
import pytest

from localserver import LocalServer, RawServer, Reply, Request
from seedwatch import __version__
from seedwatch.contracts import Fetcher
from seedwatch.daemon.fetch import FetchResult, FetchSettings, HttpFetcher, detect_charset
from seedwatch.daemon.fetch.decoding import PIECE, decoder_for
from seedwatch.errors import FetchError
from seedwatch.models import Source

DATA = Path(__file__).parent / "data"
SOURCE = Source(id="test-source", url="http://127.0.0.1/")
MB = 1024 * 1024


@pytest.fixture
def fetcher() -> Iterator[HttpFetcher]:
    settings = FetchSettings(connect_timeout=2, read_timeout=2, total_timeout=5)
    with HttpFetcher(settings) as f:
        yield f


def fetch_error(fetcher: HttpFetcher, url: str, **kwargs: object) -> FetchError:
    with pytest.raises(FetchError) as info:
        fetcher.fetch(url, source=SOURCE, **kwargs)  # type: ignore[arg-type]
    message = str(info.value)
    assert "\n" not in message and message.startswith(url)
    return info.value


def test_http_fetcher_is_a_fetcher() -> None:
    with HttpFetcher() as f:
        fetcher: Fetcher = f
        assert fetcher is f


# -- conditional GET -------------------------------------------------------------


def test_etag_round_trip_gives_none_on_304(server: LocalServer, fetcher: HttpFetcher) -> None:
    def feed(req: Request) -> Reply:
        if req.headers.get("If-None-Match") == '"v1"':
            return Reply(304, content_type=None)
        return Reply(body=b"<rss/>", headers={"ETag": '"v1"'})

    url = server.route("/feed", feed)
    first = fetcher.fetch(url, source=SOURCE)
    assert first is not None and first.content == b"<rss/>"
    assert first.headers["etag"] == '"v1"'
    assert fetcher.fetch(url, source=SOURCE, etag=first.headers["etag"]) is None
    assert "If-None-Match" not in server.hits("/feed")[0].headers
    assert server.hits("/feed")[1].headers["If-None-Match"] == '"v1"'


def test_last_modified_round_trip_gives_none_on_304(
    server: LocalServer, fetcher: HttpFetcher
) -> None:
    stamp = "Wed, 21 Oct 2015 07:28:00 GMT"

    def feed(req: Request) -> Reply:
        if req.headers.get("If-Modified-Since") == stamp:
            return Reply(304, content_type=None, headers={"Cache-Control": "max-age=600"})
        return Reply(body=b"<rss/>", headers={"Last-Modified": stamp})

    url = server.route("/feed", feed)
    first = fetcher.fetch(url, source=SOURCE)
    assert first is not None and first.headers["last-modified"] == stamp
    result = fetcher.fetch_result(url, source=SOURCE, last_modified=stamp)
    assert result.status == 304 and result.document is None
    assert result.headers["cache-control"] == "max-age=600"


def test_user_agent_is_honest_and_names_the_contact(server: LocalServer) -> None:
    url = server.route("/feed", Reply(body=b"x"))
    with HttpFetcher(FetchSettings(contact="https://example.org/about-our-bot")) as f:
        f.fetch(url, source=SOURCE)
    with HttpFetcher(FetchSettings(user_agent="MyBot/2.0 (+mailto:ops@example.org)")) as f:
        f.fetch(url, source=SOURCE)
    agents = [r.headers["User-Agent"] for r in server.hits("/feed")]
    assert agents == [
        f"seedwatch/{__version__} (+https://example.org/about-our-bot)",
        "MyBot/2.0 (+mailto:ops@example.org)",
    ]


def test_post_with_form_data_and_extra_headers(server: LocalServer, fetcher: HttpFetcher) -> None:
    url = server.route("/login", Reply(body=b"SID=abc", content_type="text/plain"))
    doc = fetcher.fetch(
        url, source=SOURCE, method="POST", data={"Email": "a@b"}, headers={"X-Test": "1"}
    )
    assert doc is not None and doc.content == b"SID=abc"
    hit = server.hits("/login")[0]
    assert (hit.method, hit.body, hit.headers["X-Test"]) == ("POST", b"Email=a%40b", "1")


def test_one_fetcher_serves_many_threads(server: LocalServer, fetcher: HttpFetcher) -> None:
    for n in range(8):
        server.route(f"/feed{n}", Reply(body=f"feed {n}".encode(), delay=0.05))
    results: dict[int, bytes] = {}

    def poll(n: int) -> None:
        doc = fetcher.fetch(server.url(f"/feed{n}"), source=SOURCE)
        assert doc is not None
        results[n] = doc.content

    threads = [threading.Thread(target=poll, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == {n: f"feed {n}".encode() for n in range(8)}


# -- charset and media type ------------------------------------------------------


def serve_file(server: LocalServer, name: str, content_type: str) -> str:
    body = (DATA / name).read_bytes()
    return server.route(f"/{Path(name).name}", Reply(body=body, content_type=content_type))


def test_charset_from_the_header(server: LocalServer, fetcher: HttpFetcher) -> None:
    url = serve_file(server, "feeds/rss2_ibash_windows-1251.xml", "text/xml; charset=Windows-1251")
    doc = fetcher.fetch(url, source=SOURCE)
    assert doc is not None
    assert (doc.media_type, doc.charset) == ("text/xml", "windows-1251")
    assert "<description>Новый цитатник Рунета</description>" in doc.text()


def test_charset_from_the_xml_declaration(server: LocalServer, fetcher: HttpFetcher) -> None:
    url = serve_file(server, "feeds/rss2_ibash_windows-1251.xml", "application/rss+xml")
    doc = fetcher.fetch(url, source=SOURCE)
    assert doc is not None
    assert (doc.media_type, doc.charset) == ("application/rss+xml", "windows-1251")
    assert "<title>Цитата #17703</title>" in doc.text()


def test_header_charset_wins_over_the_documents_declaration() -> None:
    # RFC 7303 and the HTML standard: the transport's word first, then the document's.
    body = b'<?xml version="1.0" encoding="windows-1251"?><rss/>'
    assert detect_charset(body, "koi8-r") == "koi8-r"
    assert detect_charset(body, "no-such-charset") == "windows-1251"


def test_byte_order_mark_wins_over_a_contradicting_header(
    server: LocalServer, fetcher: HttpFetcher
) -> None:
    url = serve_file(server, "feeds/rss2_dotnet_a10_bom.xml", "text/xml; charset=iso-8859-1")
    doc = fetcher.fetch(url, source=SOURCE)
    assert doc is not None and doc.charset == "utf-8"
    assert doc.text().startswith('<?xml version="1.0" encoding="utf-8"?>')
    # Hand-made: UTF-16 LE with its BOM, served as UTF-8.
    text = "<rss><title>café</title></rss>"
    body = codecs.BOM_UTF16_LE + text.encode("utf-16-le")
    server.route("/utf16", Reply(body=body, content_type="text/xml; charset=utf-8"))
    doc = fetcher.fetch(server.url("/utf16"), source=SOURCE)
    assert doc is not None and doc.charset == "utf-16-le" and doc.text() == text


def test_html_meta_iso_8859_1_is_read_as_windows_1252(
    server: LocalServer, fetcher: HttpFetcher
) -> None:
    # vBulletin 3.8 declares ISO-8859-1 and writes byte 0x94 (cp1252's closing
    # quote) on line 1692: browsers read such pages as windows-1252.
    url = serve_file(
        server, "forum/vbulletin3/animesuki_hibike_euphonium_page152.html", "text/html"
    )
    doc = fetcher.fetch(url, source=SOURCE)
    assert doc is not None
    assert (doc.media_type, doc.charset) == ("text/html", "windows-1252")
    assert "You are only entitled to what you can argue for.\u201d <br />" in doc.text()


def test_undeclared_latin1_is_left_to_the_cp1252_fallback(
    server: LocalServer, fetcher: HttpFetcher
) -> None:
    url = serve_file(server, "feeds/rss2_lecerclepsy_no-prolog_iso-8859-1.xml", "application/xml")
    doc = fetcher.fetch(url, source=SOURCE)
    assert doc is not None and doc.charset is None
    # Bytes A0 (no-break space), E8 and E9 on the title lines of the file.
    assert "Psycho\u00a0: une simplificationet#8230; très complexe\u00a0</title>" in doc.text()
    assert "Travail, organisations, emploi : les modèles européens" in doc.text()


def test_no_content_type_gives_no_media_type(server: LocalServer, fetcher: HttpFetcher) -> None:
    url = server.route("/bare", Reply(body=b"hello", content_type=None))
    doc = fetcher.fetch(url, source=SOURCE)
    assert doc is not None and doc.media_type is None and doc.charset is None


# -- content encodings -----------------------------------------------------------

TEXT = "<rss><title>Ünïcödé feed</title></rss>\n".encode() * 200


def deflate_raw(data: bytes) -> bytes:
    c = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    return c.compress(data) + c.flush()


@pytest.mark.parametrize(
    ("encoding", "body"),
    [
        ("gzip", zlib.compress(TEXT, wbits=31)),
        ("deflate", zlib.compress(TEXT)),
        ("deflate", deflate_raw(TEXT)),  # what some old IIS and PHP servers send
        ("br", brotli.compress(TEXT)),
        ("gzip, br", brotli.compress(zlib.compress(TEXT, wbits=31))),
    ],
    ids=["gzip", "deflate", "raw-deflate", "brotli", "gzip-then-brotli"],
)
def test_compressed_bodies_are_decoded(
    server: LocalServer, fetcher: HttpFetcher, encoding: str, body: bytes
) -> None:
    url = server.route("/feed", Reply(body=body, headers={"Content-Encoding": encoding}))
    result = fetcher.fetch_result(url, source=SOURCE)
    assert result.document is not None and result.document.content == TEXT
    assert result.wire_bytes == len(body) < len(TEXT)
    assert server.hits("/feed")[0].headers["Accept-Encoding"] == "gzip, deflate, br"


@functools.cache
def encoded(size: int) -> tuple[bytes, list[tuple[str, bytes]]]:
    # Runs of one byte, then a random tail: full pieces, pending output, odd cuts.
    data = (bytes(size // 2) + random.Random(size).randbytes(size))[:size]
    return data, [
        ("gzip", zlib.compress(data, wbits=31)),
        ("deflate", zlib.compress(data)),
        ("deflate", deflate_raw(data)),
        ("br", brotli.compress(data, quality=5)),
        ("gzip, br", brotli.compress(zlib.compress(data, wbits=31), quality=5)),
    ]


@pytest.mark.parametrize("size", [0, 100, PIECE, 5 * PIECE + 1])
@pytest.mark.parametrize("step", [3, 4096, 65536])
def test_decoders_give_back_the_input_however_the_body_is_cut(size: int, step: int) -> None:
    data, bodies = encoded(size)
    for encoding, body in bodies:
        decoder = decoder_for(encoding)
        out = bytearray()
        for start in range(0, len(body), step):
            for piece in decoder.feed(body[start : start + step]):
                assert len(piece) <= 2 * PIECE
                out += piece
        out += b"".join(decoder.finish())
        assert out == data, encoding
    assert list(decoder_for("gzip").finish()) == []  # an empty body is not truncated


def test_concatenated_gzip_members_are_all_decoded(
    server: LocalServer, fetcher: HttpFetcher
) -> None:
    body = zlib.compress(b"first ", wbits=31) + zlib.compress(b"second", wbits=31)
    url = server.route("/feed", Reply(body=body, headers={"Content-Encoding": "gzip"}))
    doc = fetcher.fetch(url, source=SOURCE)
    assert doc is not None and doc.content == b"first second"


@pytest.mark.parametrize(
    ("encoding", "body", "words"),
    [
        ("gzip", b"this is not gzip at all", "invalid gzip data"),
        ("gzip", zlib.compress(TEXT, wbits=31)[:-30], "truncated gzip data"),
        ("br", brotli.compress(TEXT)[:-5], "truncated brotli data"),
        ("zstd", b"(\xb5/\xfd", "unsupported Content-Encoding 'zstd'"),
    ],
    ids=["garbage", "truncated-gzip", "truncated-brotli", "unsupported"],
)
def test_undecodable_bodies_are_protocol_errors(
    server: LocalServer, fetcher: HttpFetcher, encoding: str, body: bytes, words: str
) -> None:
    url = server.route("/feed", Reply(body=body, headers={"Content-Encoding": encoding}))
    error = fetch_error(fetcher, url)
    assert error.category == "protocol" and words in str(error)


# -- size caps -------------------------------------------------------------------


def endless(chunk: bytes, counter: list[int]) -> Iterator[bytes]:
    """A 2 GB response, and more: yields ``chunk`` until the client hangs up."""
    while True:
        counter[0] += len(chunk)
        yield chunk


def test_endless_response_is_cut_at_the_cap_quickly_in_bounded_memory(
    server: LocalServer,
) -> None:
    sent = [0]
    url = server.route("/huge", Reply(body=endless(b"x" * 65536, sent)))
    settings = FetchSettings()  # the default 20 MB cap
    with HttpFetcher(settings) as f:
        tracemalloc.start()
        started = time.monotonic()
        try:
            error = fetch_error(f, url)
            elapsed = time.monotonic() - started
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert error.category == "too-large"
    assert "larger than the limit of 20 MB; raise [fetch] max_bytes" in str(error)
    assert elapsed < 10
    assert sent[0] < settings.max_bytes + 8 * MB  # the server was stopped, not drained
    assert peak < settings.max_bytes * 1.5


def test_declared_length_over_the_cap_is_refused_before_reading() -> None:
    sent = [0]

    def liar(conn: socket.socket, stopping: threading.Event) -> None:
        conn.recv(65536)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2147483648\r\n\r\n")
        while not stopping.is_set():
            conn.sendall(b"x" * 65536)
            sent[0] += 65536

    with RawServer(liar) as raw, HttpFetcher(FetchSettings(max_bytes=MB)) as f:
        error = fetch_error(f, raw.url("/big"))
    assert error.category == "too-large" and "declares 2 GB" in str(error)


def test_exactly_the_cap_is_allowed(server: LocalServer) -> None:
    url = server.route("/feed", Reply(body=b"y" * MB))
    with HttpFetcher(FetchSettings(max_bytes=MB)) as f:
        doc = f.fetch(url, source=SOURCE)
    assert doc is not None and len(doc.content) == MB


def gzip_bomb(size: int) -> bytes:
    c = zlib.compressobj(9, zlib.DEFLATED, 31)
    zeros = bytes(MB)
    return b"".join(c.compress(zeros) for _ in range(size // MB)) + c.flush()


def brotli_bomb(size: int) -> bytes:
    c = brotli.Compressor(quality=3)
    zeros = bytes(MB)
    return b"".join(c.process(zeros) for _ in range(size // MB)) + bytes(c.finish())


@pytest.mark.parametrize(
    ("encoding", "make", "size"),
    [("gzip", gzip_bomb, 64 * MB), ("br", brotli_bomb, 256 * MB)],
    ids=["gzip-64MB-in-64KB", "brotli-256MB-in-1KB"],
)
def test_compression_bomb_stops_at_the_cap_without_inflating(
    server: LocalServer, encoding: str, make: Callable[[int], bytes], size: int
) -> None:
    bomb = make(size)
    assert len(bomb) < 100_000
    url = server.route("/bomb", Reply(body=bomb, headers={"Content-Encoding": encoding}))
    cap = 4 * MB
    with HttpFetcher(FetchSettings(max_bytes=cap)) as f:
        tracemalloc.start()
        try:
            error = fetch_error(f, url)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert error.category == "too-large" and "after decompression" in str(error)
    assert peak < 2 * cap


def test_compressed_robots_txt_bomb_is_read_up_to_its_limit_only(server: LocalServer) -> None:
    # robots.txt is read as a head (its first 512 KiB), not refused past a cap:
    # the head must be cut while inflating, not after the whole body inflated.
    rules = b"User-agent: *\nDisallow: /t/\n"
    c = brotli.Compressor(quality=3)
    bomb = bytes(c.process(rules)) + b"".join(c.process(bytes(MB)) for _ in range(256))
    bomb += bytes(c.finish())
    assert len(bomb) < 100_000
    server.route("/robots.txt", Reply(body=bomb, headers={"Content-Encoding": "br"}))
    page = server.route("/t/1", Reply(body=b"<html></html>", content_type="text/html"))
    forum = Source(id="forum", url=page, parser="xenforo")
    with HttpFetcher(FetchSettings(robots=True)) as f:
        tracemalloc.start()
        try:
            with pytest.raises(FetchError) as info:
                f.fetch(page, source=forum, local_ok=True)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert info.value.category == "refused"  # the rules at its head were read
    assert server.hits("/t/1") == []
    assert peak < 8 * MB  # 256 MB if inflated whole


def test_compressed_stream_that_inflates_to_nothing_is_capped_on_the_wire(
    server: LocalServer,
) -> None:
    # Hand-made: empty stored deflate blocks forever (5 bytes each, no output).
    sent = [0]
    url = server.route(
        "/empty",
        Reply(
            body=endless(b"\x00\x00\x00\xff\xff" * 8192, sent),
            headers={"Content-Encoding": "deflate"},
        ),
    )
    with HttpFetcher(FetchSettings(max_bytes=MB)) as f:
        error = fetch_error(f, url)
    assert error.category == "too-large" and "on the wire" in str(error)


# -- timeouts --------------------------------------------------------------------


def silent(conn: socket.socket, stopping: threading.Event) -> None:
    conn.recv(65536)
    stopping.wait(30)


def test_server_that_never_answers_times_out() -> None:
    settings = FetchSettings(connect_timeout=1, read_timeout=0.5, total_timeout=5)
    with RawServer(silent) as raw, HttpFetcher(settings) as f:
        started = time.monotonic()
        error = fetch_error(f, raw.url("/feed"))
    assert time.monotonic() - started < 3  # 0.5 s read timeout, slack for a loaded machine
    assert error.category == "timeout" and "sent nothing for 0.5s" in str(error)


def test_body_trickling_a_byte_a_second_is_cut_at_the_total_deadline(
    server: LocalServer,
) -> None:
    url = server.route("/slow", Reply(body=iter(lambda: b"x", None), chunk_delay=1.0))
    settings = FetchSettings(read_timeout=5, total_timeout=1.5)
    with HttpFetcher(settings) as f:
        started = time.monotonic()
        error = fetch_error(f, url)
    elapsed = time.monotonic() - started
    assert error.category == "timeout" and "total limit of 1.5s" in str(error)
    assert 1.4 < elapsed < 3.5  # cut at 1.5 s, not after the body (never)


def test_status_line_trickling_is_cut_at_the_total_deadline() -> None:
    def trickle(conn: socket.socket, stopping: threading.Event) -> None:
        conn.recv(65536)
        for byte in b"HTTP/1.1 200 OK\r\nX-Padding: " + b"a" * 10_000:
            conn.sendall(bytes([byte]))
            if stopping.wait(0.1):
                return

    settings = FetchSettings(read_timeout=5, total_timeout=1)
    with RawServer(trickle) as raw, HttpFetcher(settings) as f:
        started = time.monotonic()
        error = fetch_error(f, raw.url("/feed"))
    assert error.category == "timeout" and "total limit of 1s" in str(error)
    assert time.monotonic() - started < 3  # cut at 1 s, not at the 10,000th byte


# -- redirects -------------------------------------------------------------------


def redirect(status: int, to: str) -> Reply:
    return Reply(status, headers={"Location": to}, content_type=None)


def test_redirect_loop_is_named(server: LocalServer, fetcher: HttpFetcher) -> None:
    server.route("/a", redirect(301, "/b"))
    server.route("/b", redirect(302, "/a"))
    error = fetch_error(fetcher, server.url("/a"))
    assert error.category == "redirects"
    assert str(error).endswith(
        f"redirect loop: {server.url('/a')} -> {server.url('/b')} -> {server.url('/a')}"
    )
    assert len(server.requests) == 2


def test_too_many_redirects(server: LocalServer) -> None:
    for n in range(7):
        server.route(f"/r{n}", redirect(302, f"/r{n + 1}"))
    server.route("/r7", Reply(body=b"end"))
    with HttpFetcher(FetchSettings(max_redirects=7)) as f:
        doc = f.fetch(server.url("/r0"), source=SOURCE)
    assert doc is not None and doc.url == server.url("/r7")
    with HttpFetcher(FetchSettings(max_redirects=5)) as f:
        error = fetch_error(f, server.url("/r0"))
    assert error.category == "redirects" and "too many redirects (more than 5)" in str(error)


def test_credentials_follow_a_redirect_within_their_origin_only(server: LocalServer) -> None:
    secret = {"Cookie": "session=s3cret", "Authorization": "Bearer t0ken"}
    with LocalServer() as other, HttpFetcher(FetchSettings(total_timeout=5)) as f:
        server.route("/moved", Reply(301, headers={"Location": "/here"}, content_type=None))
        server.route("/here", Reply(body=b"<p>members</p>", content_type="text/html"))
        away = other.route("/there", Reply(body=b"<p>other</p>", content_type="text/html"))
        server.route("/away", Reply(302, headers={"Location": away}, content_type=None))
        f.fetch(server.url("/moved"), source=SOURCE, headers=secret)
        f.fetch(server.url("/away"), source=SOURCE, headers=secret)
        (there,) = other.hits("/there")
    (here,) = server.hits("/here")
    assert here.headers.get("Cookie") == secret["Cookie"]  # the same origin: kept
    assert here.headers.get("Authorization") == secret["Authorization"]
    assert "Cookie" not in there.headers and "Authorization" not in there.headers


def test_cookies_set_along_redirects_are_kept_only_for_their_own_origin(
    server: LocalServer,
) -> None:
    with LocalServer() as other, HttpFetcher(FetchSettings(total_timeout=5)) as f:
        there = other.route("/there", Reply(body=b"<p/>", headers={"Set-Cookie": "b=2"}))
        server.route("/go", Reply(302, headers={"Location": there, "Set-Cookie": "a=1"}))
        doc = f.fetch(server.url("/go"), source=SOURCE)
    assert doc is not None and doc.url == there
    assert doc.headers["set-cookie"] == "b=2"  # a=1 was set by another origin


def test_a_post_is_not_repeated_to_another_origin(server: LocalServer) -> None:
    with LocalServer() as other, HttpFetcher(FetchSettings(total_timeout=5)) as f:
        there = other.route("/login", Reply(body=b"ok", content_type="text/plain"))
        server.route("/login", Reply(307, headers={"Location": there}, content_type=None))
        error = fetch_error(f, server.url("/login"), method="POST", data={"password": "pw"})
        assert other.requests == []
        server.route("/login", Reply(308, headers={"Location": "/login2"}, content_type=None))
        server.route("/login2", Reply(body=b"ok", content_type="text/plain"))
        doc = f.fetch(server.url("/login"), source=SOURCE, method="POST", data={"password": "pw"})
    assert error.category == "refused"
    (repeated,) = server.hits("/login2")  # within the origin a 308 repeats the POST
    assert doc is not None and repeated.method == "POST" and repeated.body == b"password=pw"


def test_redirect_to_a_local_file_is_refused(server: LocalServer, fetcher: HttpFetcher) -> None:
    url = server.route("/feed", redirect(302, "file:///etc/passwd"))
    error = fetch_error(fetcher, url, local_ok=True)
    assert error.category == "refused" and "never leads to a local file" in str(error)


@pytest.mark.parametrize(
    ("chain", "permanent"),
    [
        ([301], "/hop1"),
        ([308, 301], "/hop2"),
        ([301, 302], "/hop1"),
        ([302, 301], None),
        ([307], None),
    ],
)
def test_permanent_redirects_are_reported(
    server: LocalServer, fetcher: HttpFetcher, chain: list[int], permanent: str | None
) -> None:
    server.route("/hop0", redirect(chain[0], "/hop1"))
    for n, status in enumerate(chain[1:], start=1):
        server.route(f"/hop{n}", redirect(status, server.url(f"/hop{n + 1}")))
    server.route(f"/hop{len(chain)}", Reply(body=b"<rss/>"))
    seen: list[FetchResult] = []
    with HttpFetcher(fetcher.settings, on_result=seen.append) as f:
        doc = f.fetch(server.url("/hop0"), source=SOURCE)
    assert doc is not None and doc.url == server.url(f"/hop{len(chain)}")
    (result,) = seen
    assert result.permanent_redirect == (server.url(permanent) if permanent else None)
    assert [status for status, _ in result.redirects] == chain
    assert result.document is doc and result.source is SOURCE


def test_redirect_without_location_is_an_error(server: LocalServer, fetcher: HttpFetcher) -> None:
    url = server.route("/feed", Reply(302, content_type=None))
    error = fetch_error(fetcher, url)
    assert (error.category, error.status) == ("redirects", 302)


# -- HTTP errors -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "category", "words"),
    [
        (404, "http-4xx", "HTTP 404 Not Found"),
        (410, "http-4xx", "HTTP 410 Gone"),
        (500, "http-5xx", "HTTP 500 Internal Server Error"),
        (503, "http-5xx", "HTTP 503 Service Unavailable"),
    ],
)
def test_http_errors_have_category_and_status(
    server: LocalServer, fetcher: HttpFetcher, status: int, category: str, words: str
) -> None:
    url = server.route("/feed", Reply(status, body=b"<html>error page</html>"))
    error = fetch_error(fetcher, url)
    assert (error.category, error.status, error.retry_after) == (category, status, None)
    assert str(error) == f"{url}: {words}"


def test_retry_after_is_kept_in_seconds_or_as_a_date(
    server: LocalServer, fetcher: HttpFetcher
) -> None:
    url = server.route("/busy", Reply(503, headers={"Retry-After": "120"}))
    error = fetch_error(fetcher, url)
    assert error.retry_after == 120 and "retry after 2m" in str(error)
    later = formatdate(time.time() + 3600, usegmt=True)
    url = server.route("/limited", Reply(429, headers={"Retry-After": later}))
    error = fetch_error(fetcher, url)
    assert error.category == "http-4xx" and error.status == 429
    assert error.retry_after is not None and 3590 < error.retry_after <= 3600


def test_error_after_redirect_names_where_it_happened(
    server: LocalServer, fetcher: HttpFetcher
) -> None:
    url = server.route("/old", redirect(301, "/gone"))
    server.route("/gone", Reply(410))
    error = fetch_error(fetcher, url)
    assert str(error) == f"{url}: HTTP 410 Gone (at {server.url('/gone')}, after redirects)"


# -- network errors --------------------------------------------------------------


def test_connection_refused(fetcher: HttpFetcher) -> None:
    with socket.socket() as sock:  # a port that was free a moment ago and has no listener
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    error = fetch_error(fetcher, f"http://127.0.0.1:{port}/feed")
    assert error.category == "connect" and f"127.0.0.1:{port}" in str(error)


def test_tls_failure(server: LocalServer, fetcher: HttpFetcher) -> None:
    url = server.route("/feed", Reply(body=b"x")).replace("http://", "https://")
    error = fetch_error(fetcher, url)
    assert error.category == "tls" and "TLS failed" in str(error)


def test_dns_failure_is_classified_as_dns(fetcher: HttpFetcher) -> None:
    # Resolving a name would leave 127.0.0.1, so the error httpx raises for an
    # unknown host (a ConnectError caused by socket.gaierror) is built here.
    url = "http://no-such-host.example/feed"
    try:
        try:
            raise socket.gaierror(-2, "Name or service not known")
        except socket.gaierror as exc:
            raise httpx.ConnectError("[Errno -2] Name or service not known") from exc
    except httpx.ConnectError as exc:
        error = fetcher._error(url, exc, time.monotonic() + 60)
    assert error.category == "dns"
    assert str(error) == (
        f"{url}: cannot resolve host 'no-such-host.example': [Errno -2] Name or service not known"
    )


def test_unsupported_scheme_is_refused(fetcher: HttpFetcher) -> None:
    error = fetch_error(fetcher, "ftp://127.0.0.1/feed.xml", local_ok=True)
    assert error.category == "refused" and "unsupported URL scheme 'ftp'" in str(error)


# -- local files -----------------------------------------------------------------


def test_local_files_are_refused_unless_the_config_names_them(
    fetcher: HttpFetcher, tmp_path: Path
) -> None:
    path = tmp_path / "feed.xml"
    path.write_bytes(b"<rss/>")
    for url in (path.as_uri(), str(path)):
        error = fetch_error(fetcher, url)
        assert error.category == "refused" and "locations the config names" in str(error)
        assert fetcher.fetch(url, source=SOURCE, local_ok=True) is not None


def test_local_file_document(fetcher: HttpFetcher) -> None:
    path = DATA / "feeds" / "rss2_dotnet_a10_bom.xml"
    doc = fetcher.fetch(str(path), source=SOURCE, local_ok=True)
    assert doc is not None
    assert doc.url == path.resolve().as_uri()
    assert doc.content == path.read_bytes()
    assert (doc.media_type, doc.charset) == ("application/xml", "utf-8")
    assert doc.source is SOURCE


@pytest.mark.parametrize(
    ("name", "media_type"),
    [
        ("a.rss", "application/rss+xml"),
        ("a.atom", "application/atom+xml"),
        ("post.md", "text/markdown"),
        ("page.HTML", "text/html"),
        ("notes.txt", "text/plain"),
        ("blob.bin", None),
    ],
)
def test_local_media_type_from_the_extension(
    fetcher: HttpFetcher, tmp_path: Path, name: str, media_type: str | None
) -> None:
    path = tmp_path / name
    path.write_bytes(b"x")
    doc = fetcher.fetch(path.as_uri(), source=SOURCE, local_ok=True)
    assert doc is not None and doc.media_type == media_type


def test_local_file_conditional_read(fetcher: HttpFetcher, tmp_path: Path) -> None:
    path = tmp_path / "feed.xml"
    path.write_bytes(b"<rss>1</rss>")
    first = fetcher.fetch(str(path), source=SOURCE, local_ok=True)
    assert first is not None
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    assert fetcher.fetch(str(path), source=SOURCE, local_ok=True, etag=etag) is None
    assert fetcher.fetch(str(path), source=SOURCE, local_ok=True, last_modified=modified) is None
    path.write_bytes(b"<rss>22</rss>")
    again = fetcher.fetch(
        str(path), source=SOURCE, local_ok=True, etag=etag, last_modified=modified
    )
    assert again is not None and again.content == b"<rss>22</rss>"


def test_local_file_errors(fetcher: HttpFetcher, tmp_path: Path) -> None:
    missing = tmp_path / "missing.xml"
    error = fetch_error(fetcher, str(missing), local_ok=True)
    assert error.category == "io" and str(missing) in str(error)
    error = fetch_error(fetcher, str(tmp_path), local_ok=True)
    assert error.category == "io" and "not a regular file" in str(error)
    error = fetch_error(fetcher, "file://elsewhere.example/feed.xml", local_ok=True)
    assert error.category == "refused" and "on this machine" in str(error)
    big = tmp_path / "big.xml"
    big.write_bytes(b"z" * (MB + 1))
    with HttpFetcher(FetchSettings(max_bytes=MB)) as small:
        error = fetch_error(small, str(big), local_ok=True)
    assert error.category == "too-large"
