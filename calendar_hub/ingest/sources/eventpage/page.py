"""The page as read: how much of it (the limits every part keeps to), its text and its lxml document."""

from __future__ import annotations

import codecs
import re
from typing import Any

import lxml.html

MAX_BYTES = 2 * 1024 * 1024    # only the start of a larger page is read
MAX_EVENTS = 50                # events returned for one page
MAX_READINGS = 200             # event descriptions read, before duplicates are merged
MAX_SCRIPTS = 30               # JSON-LD scripts read
MAX_NODES = 5000               # JSON-LD objects visited
MAX_DEPTH = 12                 # nesting followed in JSON-LD, microdata and microformats
MAX_MF2_CHARS = 256 * 1024     # h-event markup handed to mf2py

_META_CHARSET = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9._:-]{1,40})""", re.IGNORECASE)
_XML_PROLOG = re.compile(r"^\s*<\?xml[^>]*>")


def document(data: bytes) -> Any:
    """The page's lxml tree, or None when the bytes hold no HTML at all."""
    head = data[:MAX_BYTES]
    if b"<" not in head:
        return None
    text = _XML_PROLOG.sub("", _decode(head)).replace("\x00", "")
    if not text.strip():
        return None
    # lxml is given UTF-8 bytes and told so, whatever the page declared: _decode already chose.
    parser = lxml.html.HTMLParser(encoding="utf-8")
    return lxml.html.document_fromstring(text.encode("utf-8", "replace"), parser=parser)


def _decode(data: bytes) -> str:
    """The page as text: a BOM, else UTF-8 if it is valid, else the <meta> charset, else Windows-1252."""
    for bom, encoding in ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"),
                          (codecs.BOM_UTF16_BE, "utf-16-be")):
        if data.startswith(bom):
            return data[len(bom):].decode(encoding, "replace")
    try:
        # Not final: a page cut at MAX_BYTES may end inside a character.
        return codecs.getincrementaldecoder("utf-8")().decode(data, final=False)
    except UnicodeDecodeError:
        pass
    match = _META_CHARSET.search(data[:4096])
    if match:
        try:
            name = codecs.lookup(match.group(1).decode("ascii")).name
        except LookupError:
            name = ""
        # HTML's encoding sniffing reads a declared UTF-16 in an ASCII-compatible page as UTF-8.
        if name and not name.startswith("utf-16"):
            return data.decode(name, "replace")
    return data.decode("cp1252", "replace")
