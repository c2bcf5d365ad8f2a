"""District settings on the desk: the shipped table, with each district saved here replacing its entry.

The desk's engine reads exactly this book (``web.evaluator``); ``version`` changes with every save,
so each process rebuilds its engine when any district's settings change.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.districts import DistrictBook, DistrictSettings, districts, shipped_names
from web.records import DistrictSettingsRecord, utcnow


def version(db: Session) -> tuple[int, int]:
    """(districts saved, saves in all): revisions only grow, so any save changes it."""
    count, total = db.execute(
        select(func.count(), func.coalesce(func.sum(DistrictSettingsRecord.revision), 0))
    ).one()
    return int(count), int(total)


def book(db: Session) -> DistrictBook:
    """The settings in force on the desk."""
    out = districts()
    for row in db.scalars(select(DistrictSettingsRecord)):
        if row.name in out.districts:
            out = out.replace(row.name, DistrictSettings.model_validate(row.settings))
    return out


def settings_of(db: Session, name: str) -> DistrictSettings:
    row = db.get(DistrictSettingsRecord, name)
    if row is not None:
        return DistrictSettings.model_validate(row.settings)
    return districts().districts.get(name) or DistrictSettings()


def record_of(db: Session, name: str) -> DistrictSettingsRecord | None:
    return db.get(DistrictSettingsRecord, name)


def save(db: Session, name: str, settings: DistrictSettings, by: str) -> None:
    """Store ``name``'s settings (one of the 38), counting the save; committed."""
    if name not in shipped_names():
        raise ValueError(f"不是重庆市的区县：{name}")
    row = db.get(DistrictSettingsRecord, name)
    if row is None:
        row = DistrictSettingsRecord(name=name, settings=settings.dump(), revision=1, updated_by=by)
        db.add(row)
    else:
        row.settings = settings.dump()
        row.revision += 1
        row.updated_at = utcnow()
        row.updated_by = by
    db.commit()
