"""The ``s3`` sink: each accepted item as one object in an S3-compatible bucket.

For cluster nodes that share no file system (AWS S3, MinIO, Ceph RGW,
Cloudflare R2, Garage...). Object keys are ``<prefix><corpus file name>`` and
the body is the corpus file's exact text (``Accepted.rendered``), so the
bucket holds what a corpus folder would. Through boto3, the AWS SDK for
Python.

The corpus rule "never modify a file" holds with a conditional write
(``If-None-Match: *``, honoured by S3 since 2024 and by MinIO): an object
that exists is never replaced. A write retried after a crash finds its
object, compares the bytes and is done; different bytes are a
``CorpusConflict``. For a store without conditional writes, ``conditional =
false`` checks with HEAD first (two nodes can then race, but only ever with
the same bytes: the state gives each name one content).

Credentials come from boto3's usual chain (``AWS_ACCESS_KEY_ID`` and
``AWS_SECRET_ACCESS_KEY`` in the environment, a profile, an instance or pod
role), never from the config file.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from seedwatch.contracts import SINK_CONTEXT, Accepted, Sink
from seedwatch.corpus import CorpusConflict
from seedwatch.errors import ConfigError
from seedwatch.extras import require
from seedwatch.hookspecs import hookimpl

_OPTIONS = {"bucket", "prefix", "endpoint_url", "region", "profile", "conditional"}


def _code(exc: Exception) -> str:
    response = getattr(exc, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


class S3Sink(Sink):
    name = "s3"

    def __init__(self) -> None:
        self.client: Any = None
        self.bucket = ""
        self.prefix = ""
        self.conditional = True

    def configure(self, options: Mapping[str, Any]) -> None:
        boto3 = require("boto3", extra="s3", needed_for='the "s3" sink')
        from botocore.exceptions import BotoCoreError, ClientError

        unknown = sorted(set(options) - _OPTIONS - set(SINK_CONTEXT))
        if unknown:
            raise ConfigError(
                f"[sinks.s3]: unknown option(s) {', '.join(unknown)}; "
                f"known: {', '.join(sorted(_OPTIONS))}"
            )
        if not options.get("bucket"):
            raise ConfigError('sink "s3" needs [sinks.s3] bucket = "my-corpus"')
        self.bucket = str(options["bucket"])
        self.prefix = str(options.get("prefix", ""))
        self.conditional = bool(options.get("conditional", True))
        session = boto3.session.Session(profile_name=options.get("profile"))
        self.client = session.client(
            "s3", endpoint_url=options.get("endpoint_url"), region_name=options.get("region")
        )
        try:
            self.client.head_bucket(Bucket=self.bucket)
        except (ClientError, BotoCoreError) as exc:
            raise ConfigError(
                f"[sinks.s3]: bucket {self.bucket!r} at "
                f"{options.get('endpoint_url') or 'AWS S3'} is not usable: {exc}"
            ) from None

    def key(self, entry: Accepted) -> str:
        return self.prefix + entry.name

    def write(self, entry: Accepted) -> None:
        from botocore.exceptions import ClientError

        if self.client is None:
            raise ConfigError("sink 's3' used before it was configured")
        key = self.key(entry)
        data = entry.rendered.encode("utf-8")
        if not self.conditional and self._existing(key) is not None:
            self._same(key, data)
            return
        extra = {"IfNoneMatch": "*"} if self.conditional else {}
        for attempt in range(3):
            try:
                self.client.put_object(
                    Bucket=self.bucket,
                    Key=key,
                    Body=data,
                    ContentType="text/plain; charset=utf-8",
                    **extra,
                )
                return
            except ClientError as exc:
                code = _code(exc)
                if code == "PreconditionFailed":
                    self._same(key, data)
                    return
                # S3 answers 409 to a conditional write racing another one on
                # the same key: the other may not be visible yet; ask again.
                if code != "ConditionalRequestConflict" or attempt == 2:
                    raise
                time.sleep(0.2 * (attempt + 1))

    def _existing(self, key: str) -> bytes | None:
        from botocore.exceptions import ClientError

        try:
            body = self.client.get_object(Bucket=self.bucket, Key=key)["Body"]
        except ClientError as exc:
            if _code(exc) in ("NoSuchKey", "404"):
                return None
            raise
        data: bytes = body.read()
        return data

    def _same(self, key: str, data: bytes) -> None:
        """An object exists: a retried write of the same bytes is done, other bytes conflict."""
        if self._existing(key) != data:
            raise CorpusConflict(
                f"s3://{self.bucket}/{key} exists with different content; "
                "corpus objects are never replaced"
            )


@hookimpl
def register_sinks(register: Callable[[Sink], None]) -> None:
    register(S3Sink())
