"""The ``s3`` sink against a real S3 API: moto's server mode on 127.0.0.1.

moto answers S3's conditional write (``If-None-Match: *``) as S3 does: 412
when the key exists. Credentials are dummies set in the environment, the way
an operator sets real ones.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest
from moto.server import ThreadedMotoServer

from feedgen import rss
from localserver import LocalServer, Reply
from seedwatch.contracts import Accepted
from seedwatch.corpus import CorpusConflict, file_name, render
from seedwatch.daemon import config as config_mod
from seedwatch.daemon import runtime
from seedwatch.errors import ConfigError
from seedwatch.models import Item
from seedwatch.plugins.builtin.s3_sink import S3Sink

BUCKET = "seedwatch-corpus"
FETCHED = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, Any]]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    # moto keeps its buckets per process, not per server: start each test empty.
    httpx.post(f"{endpoint}/moto-api/reset").raise_for_status()
    client = boto3.client("s3", endpoint_url=endpoint)
    client.create_bucket(Bucket=BUCKET)
    try:
        yield endpoint, client
    finally:
        server.stop()


def entry(text: str, seq: int = 7) -> Accepted:
    item = Item(key=f"k{seq}", text=text, parser="rss", title="A title")
    return Accepted(item, seq, file_name(seq, text), render(item, FETCHED), FETCHED, {})


def sink(endpoint: str, **options: object) -> S3Sink:
    s = S3Sink()
    s.configure({"bucket": BUCKET, "endpoint_url": endpoint, "prefix": "corpus/", **options})
    return s


def body(client: Any, key: str) -> str:
    data: bytes = client.get_object(Bucket=BUCKET, Key=key)["Body"].read()
    return data.decode()


def test_an_accepted_item_becomes_one_object_with_the_corpus_file_text(
    s3: tuple[str, Any],
) -> None:
    endpoint, client = s3
    e = entry("Some text of an article.")
    sink(endpoint).write(e)
    assert body(client, f"corpus/{e.name}") == e.rendered
    head = client.head_object(Bucket=BUCKET, Key=f"corpus/{e.name}")
    assert head["ContentType"] == "text/plain; charset=utf-8"


@pytest.mark.parametrize("conditional", [True, False])
def test_a_retried_write_is_done_once_and_other_bytes_never_replace(
    s3: tuple[str, Any], conditional: bool
) -> None:
    endpoint, client = s3
    s = sink(endpoint, conditional=conditional)
    e = entry("The text the state recorded.")
    s.write(e)
    s.write(e)  # a node completing what a dead node recorded: same bytes, done
    other = Accepted(e.item, e.seq, e.name, e.rendered + "tampered\n", FETCHED, {})
    with pytest.raises(CorpusConflict, match="never replaced"):
        s.write(other)
    assert body(client, f"corpus/{e.name}") == e.rendered
    listed = client.list_objects_v2(Bucket=BUCKET)["Contents"]
    assert [o["Key"] for o in listed] == [f"corpus/{e.name}"]


def test_a_missing_bucket_or_option_is_a_config_error(s3: tuple[str, Any]) -> None:
    endpoint, _ = s3
    with pytest.raises(ConfigError, match="no-such-bucket"):
        S3Sink().configure({"bucket": "no-such-bucket", "endpoint_url": endpoint})
    with pytest.raises(ConfigError, match="needs"):
        S3Sink().configure({"endpoint_url": endpoint})
    with pytest.raises(ConfigError, match="unknown option"):
        S3Sink().configure({"bucket": BUCKET, "endpoint": endpoint})


def test_a_poll_writes_the_corpus_to_the_bucket(
    s3: tuple[str, Any], server: LocalServer, tmp_path: Path
) -> None:
    endpoint, client = s3
    url = server.route("/feed.xml", Reply(body=rss(5)))
    config = config_mod.from_dict(
        {
            "corpus": {"path": "corpus", "sinks": ["s3"]},
            "state": {"url": "sqlite:///state.db"},
            "sinks": {"s3": {"bucket": BUCKET, "endpoint_url": endpoint, "prefix": "c/"}},
            "sources": [{"id": "feed", "url": url}],
        },
        file=tmp_path / "seedwatch.toml",
    )
    with runtime.running(config) as pipeline:
        result = pipeline.poll_source(config.source("feed")).result
    assert result.accepted == 5
    keys = sorted(o["Key"] for o in client.list_objects_v2(Bucket=BUCKET)["Contents"])
    assert keys == sorted(f"c/{name}" for name in result.written)
    assert all(f"item-{n}" in body(client, k) for n, k in enumerate(keys))
    assert not (tmp_path / "corpus").exists() or not list((tmp_path / "corpus").iterdir())
