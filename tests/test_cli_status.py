"""``seedwatch status`` and ``sources list`` as a new user reads them: the why
of each next poll, a next poll no daemon made yet, 80 columns, and --json."""

from __future__ import annotations

import json
from pathlib import Path

from clirun import seedwatch
from localserver import LocalServer, Reply, Request

OLD_FEED = (
    b'<?xml version="1.0"?><rss version="2.0"><channel><title>Old</title>'
    b"<link>http://127.0.0.1/</link><description>d</description>"
    b"<item><title>A</title><guid>a</guid><pubDate>Mon, 18 Dec 2017 10:00:00 +0000</pubDate>"
    b"<description>An old post with a date, long ago, in a feed nobody updates.</description>"
    b"</item></channel></rss>"
)


def _etag_feed(request: Request) -> Reply:
    if request.headers.get("If-None-Match") == '"v1"':
        return Reply(status=304, headers={"ETag": '"v1"'})
    return Reply(body=OLD_FEED, headers={"ETag": '"v1"'})


def test_after_a_304_the_reason_does_not_claim_the_feed_has_no_dates(
    server: LocalServer, tmp_path: Path
) -> None:
    url = server.route("/old.xml", _etag_feed)
    config = tmp_path / "seedwatch.toml"
    config.write_text(f'[[sources]]\nid = "old"\nurl = "{url}"\n')
    assert seedwatch("-c", str(config), "poll", "old").exit_code == 0
    assert seedwatch("-c", str(config), "poll", "old").exit_code == 0
    assert server.hits("/old.xml")[-1].headers.get("If-None-Match") == '"v1"'
    ran = seedwatch("-c", str(config), "status", "--json")
    row = json.loads(ran.stdout)["sources"][0]
    assert row["outcome"] == "not-modified"
    assert "no dates" not in row["next_reason"] and "not modified" in row["next_reason"]


def _long_config(tmp_path: Path) -> Path:
    config = tmp_path / "seedwatch.toml"
    config.write_text(
        '[[sources]]\nid = "a-rather-long-source-identifier-for-a-blog"\n'
        'url = "http://127.0.0.1:9/feed.xml"\n'
        '[[sources]]\nid = "short"\nurl = "http://127.0.0.1:9/other.xml"\n'
    )
    return config


def test_status_fits_80_columns_and_says_why_and_due(tmp_path: Path) -> None:
    config = _long_config(tmp_path)
    failed = seedwatch("-c", str(config), "run", "--once")
    assert failed.exit_code == 1  # both down: errors with long messages
    ran = seedwatch("-c", str(config), "status")
    assert ran.exit_code == 0, ran.output
    lines = ran.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80, ran.stdout
    assert "next polls, why:" in lines
    assert any(line.strip().startswith("a-rather-long-source-identifier-for-a-blog: back-off")
               for line in lines)  # fmt: skip
    # a next poll in the past (no daemon ran it) is due, not "ago"
    from seedwatch.daemon import config as config_mod
    from seedwatch.daemon import runtime

    store = runtime.open_state(config_mod.load(config))
    with store.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE sources SET next_poll = '2020-01-01 00:00:00'")
    store.close()
    again = seedwatch("-c", str(config), "status").stdout
    assert again.count("due now") == 2  # both sources


def test_status_and_sources_list_speak_json(tmp_path: Path) -> None:
    config = _long_config(tmp_path)
    seedwatch("-c", str(config), "run", "--once")
    status = json.loads(seedwatch("-c", str(config), "status", "--json").stdout)
    assert [s["id"] for s in status["sources"]] == [
        "a-rather-long-source-identifier-for-a-blog",
        "short",
    ]
    first = status["sources"][0]
    assert first["state"] == "failing" and first["error_counts"] == {"connect": 1}
    assert first["next_reason"] and first["next_poll"].endswith("+00:00")
    assert status["corpus"]["files"] == 0
    listed = [json.loads(line) for line in seedwatch("-c", str(config), "sources", "list",
                                                     "--json").stdout.splitlines()]  # fmt: skip
    assert [(s["id"], s["consecutive_errors"], s["enabled"]) for s in listed] == [
        ("a-rather-long-source-identifier-for-a-blog", 1, True),
        ("short", 1, True),
    ]
