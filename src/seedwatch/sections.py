"""Config sections read below the daemon, each defined once: keys, defaults, bounds.

The config file's model (``seedwatch.daemon.config``) is made of section
models; the few read by layers that must not import the daemon (the state's
de-duplication reads ``[dedup]``) live here, at the bottom, next to
``units``, so that both the file and its reader use the one definition and a
value out of bounds is refused where the file is read, naming the key.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Revisions = Literal["skip", "new-version"]


class DedupConfig(BaseModel):
    """``[dedup]``: what the de-duplication layers compare against.

    - ``min_words``: content layers (exact, containment, near) judge only
      texts of at least this many words;
    - ``revisions``: ``skip`` or ``new-version`` for changed text under the
      same guid or URL (a source's ``revisions`` option overrides it);
    - ``containment``: share of an item's text (by characters) already in
      the corpus from which it is a duplicate;
    - ``novel_words``: an item that holds a whole corpus item plus at least
      this many words of its own is new (a reply under a full quote);
    - ``paragraph_min_words``: shorter paragraphs and lines ("By Jake
      Bright", "@Jlaw") are not fingerprinted for containment;
    - ``near``: estimated Jaccard similarity of word shingles from which an
      item is a near duplicate;
    - ``shingle``, ``num_perm``, ``bands``: the MinHash/LSH shape (fixed
      when the state is created; ``bands`` None lets seedwatch choose).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    min_words: int = Field(25, ge=0)
    revisions: Revisions = "skip"
    containment: float = Field(0.8, gt=0, le=1)
    novel_words: int = Field(25, ge=0)
    paragraph_min_words: int = Field(5, ge=1)
    near: float = Field(0.8, gt=0, le=1)
    shingle: int = Field(5, ge=1, le=20)
    num_perm: int = Field(128, ge=16, le=1024)
    bands: int | None = Field(None, ge=2)

    @model_validator(mode="after")
    def _bands(self) -> DedupConfig:
        if self.bands is not None and self.bands > self.num_perm // 2:
            raise ValueError(
                f"bands: expected 2 to {self.num_perm // 2} (num_perm / 2), got {self.bands}"
            )
        return self
