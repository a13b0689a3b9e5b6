"""Data-protection requests (GDPR Art. 15 and 17): export and erase everything stored
about one email address, from the command line (``sharekit privacy``) or through the
signed erase link in every mail a commenter receives (``routes``)."""

from __future__ import annotations

from .requests import DataRequests, export_document, mask

__all__ = ["DataRequests", "export_document", "mask"]
