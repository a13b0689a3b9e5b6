"""Moving comments in and out: ``sharekit export`` and ``sharekit import``.

``jsonl`` is sharekit's own format (``records`` its versioned records), written from and
read back into a database losslessly. ``wxr`` (WordPress), ``isso`` and ``disqus`` read
other systems' data. Every reader yields the same ``items``, cleaned by ``cleaning``
(no imported HTML is ever stored); ``importer`` writes them through
``sharekit.storage.porting`` in batches, idempotently (``queued`` and ``pending`` hold
what the next batch writes); ``summary`` says what it did.
"""

from __future__ import annotations

from .importer import Importer, Options
from .items import MalformedFile, PortingError, Reader, SiteProblem
from .jsonl import JsonlReader, export
from .summary import Summary

__all__ = [
    "Importer",
    "JsonlReader",
    "MalformedFile",
    "Options",
    "PortingError",
    "Reader",
    "SiteProblem",
    "Summary",
    "export",
]
