"""Reading the XML exports (WordPress WXR, Disqus) safely and in constant memory.

An export file comes from elsewhere, so the parser is told to trust nothing in it: no
network access, no external or internal entity expansion (an entity stays the literal
``&name;``), no DTD, and libxml2's limits on huge text nodes and deep trees stay on.
Elements are handed over one at a time and cleared once used, so a file of any size
needs the memory of one post and its comments.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from lxml import etree

from .items import MalformedFile

__all__ = ["Element", "child_text", "children_text", "elements"]

Element = etree._Element


def _depth(element: Element) -> int:
    depth = 0
    parent = element.getparent()
    while parent is not None:
        depth += 1
        parent = parent.getparent()
    return depth


def elements(path: Path, tags: tuple[str, ...], depth: int) -> Iterator[tuple[Element, Element]]:
    """``(root, root)`` first, as soon as the root starts; then ``(root, element)`` for
    each complete element with one of ``tags`` (Clark notation, ``{namespace}name``)
    ``depth`` levels below the root. Raises :class:`MalformedFile` for a file that
    cannot be read or is not well-formed XML, with the line of the problem."""
    try:
        file = path.open("rb")
    except OSError as exc:
        raise MalformedFile(f"cannot read {path}: {exc.strerror}") from exc
    root: Element | None = None
    with file:
        parser = etree.iterparse(
            file,
            events=("start", "end"),
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            huge_tree=False,
            remove_comments=True,
            remove_pis=True,
        )
        try:
            for event, element in parser:
                if root is None:
                    root = element
                    yield root, root
                    continue
                if event != "end" or element.tag not in tags:
                    continue
                parent = element.getparent()
                if parent is not None and _depth(element) == depth:
                    yield root, element
                    element.clear(keep_tail=False)
                    # Drop what came before, too: the tree never holds more than one item.
                    while element.getprevious() is not None:
                        del parent[0]
        except etree.XMLSyntaxError as exc:
            where = f"line {exc.lineno}" if exc.lineno else "the end"
            raise MalformedFile(f"{path} is not well-formed XML at {where}: {exc.msg}") from exc
    if root is None:
        raise MalformedFile(f"{path} is empty")


def child_text(element: Element, tag: str) -> str | None:
    """The text of the first child ``tag`` (entities kept as written), ``None`` if absent."""
    child = element.find(tag)
    if child is None:
        return None
    return "".join(str(part) for part in child.itertext())


def children_text(element: Element) -> dict[str, str]:
    """The text of each child by tag (the first child of a tag counts): one pass over the
    children instead of a search per field."""
    found: dict[str, str] = {}
    for child in element:
        tag = child.tag
        if isinstance(tag, str) and tag not in found:
            # Most fields are one text node; children (markup, entities) need the walk.
            text = "".join(str(part) for part in child.itertext()) if len(child) else child.text
            found[tag] = text or ""
    return found
