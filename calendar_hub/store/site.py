"""The hub's identity in the database, so that every web process shows the one the registry last gave.

`save_site` writes a `SiteSpec` (its words, colours and partners as one JSON row, its images by name) and says
whether anything changed; `stored_site` reads it back, the defaults ("Calendar Hub") when none was saved.
Functions take a keyword-only `session`; the caller commits.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlmodel import JSON, Field, Session, SQLModel, col, delete, select

from calendar_hub.site import Colours, Image, Partner, SiteSpec, Words

__all__ = ["SiteIdentity", "SiteImage", "save_site", "stored_site"]

_ROW = 1  # the hub has one identity


class SiteIdentity(SQLModel, table=True):
    """The hub's identity from the registry's `[hub]` table, images named by `SiteImage.name`."""

    __tablename__ = "site_identity"

    id: int = Field(default=_ROW, primary_key=True)
    body: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)


class SiteImage(SQLModel, table=True):
    """An image the identity shows (logo, share card, partner logo), served at /static/site/`name`."""

    __tablename__ = "site_image"

    name: str = Field(primary_key=True, max_length=40)
    media_type: str = Field(max_length=40)
    data: bytes = Field(sa_type=sa.LargeBinary)


def save_site(site: SiteSpec, *, session: Session) -> bool:
    """Store `site` as the hub's identity (none stored for the defaults); True when that changed anything."""
    body = _body(site) if site != SiteSpec() else None
    row = session.get(SiteIdentity, _ROW)
    wanted = site.images()
    kept = set(session.exec(select(SiteImage.name)).all())
    if (row.body if row is not None else None) == body and kept == set(wanted):
        return False
    if body is None:
        if row is not None:
            session.delete(row)
    elif row is None:
        session.add(SiteIdentity(id=_ROW, body=body))
    else:
        row.body = body
    gone = kept - set(wanted)
    if gone:
        session.execute(delete(SiteImage).where(col(SiteImage.name).in_(sorted(gone))))
    for name, image in sorted(wanted.items()):
        if name not in kept:
            session.add(SiteImage(name=name, media_type=image.media_type, data=image.data))
    session.flush()
    return True


def stored_site(*, session: Session) -> SiteSpec:
    """The identity last saved, its images with their bytes; the defaults when there is none."""
    row = session.get(SiteIdentity, _ROW)
    if row is None:
        return SiteSpec()
    images = {i.name: Image(name=i.name, media_type=i.media_type, data=i.data)
              for i in session.exec(select(SiteImage)).all()}
    body = row.body

    def image(name: str | None) -> Image | None:
        return images.get(name) if name else None

    colours = body.get("colours")
    return SiteSpec(words=Words(**body["words"]),
                    translations=tuple((code, Words(**words)) for code, words in body.get("translations", [])),
                    logo=image(body.get("logo")), share_image=image(body.get("share_image")),
                    colours=Colours(**colours) if colours else None, contact=body.get("contact", ""),
                    partners=tuple(Partner(name=p["name"], url=p["url"], logo=image(p.get("logo")))
                                   for p in body.get("partners", [])))


def _body(site: SiteSpec) -> dict[str, Any]:
    def words(w: Words) -> dict[str, str]:
        return {"name": w.name, "tagline": w.tagline, "about": w.about}

    colours = site.colours
    return {
        "words": words(site.words),
        "translations": [[code, words(w)] for code, w in site.translations],
        "logo": site.logo.name if site.logo else None,
        "share_image": site.share_image.name if site.share_image else None,
        "colours": ({"accent": colours.accent, "accent_text": colours.accent_text, "accent_dark": colours.accent_dark,
                     "accent_dark_text": colours.accent_dark_text} if colours else None),
        "partners": [{"name": p.name, "url": p.url, "logo": p.logo.name if p.logo else None} for p in site.partners],
        "contact": site.contact,
    }
