"""ID numbers encrypted at rest, found again by a keyed hash (ASVS 6.2, 8.3).

Every ``id_number`` inside a stored decision (its inputs, its evaluation, its receipt) is written as
``enc1:`` + a Fernet token (AES-128-CBC with HMAC-SHA256) and read back in clear, by the column type
``SealedJson``; a case is found by its full ID number through ``HMAC-SHA256(key, number)``. Both
keys come from one secret kept outside the database: ``SUBSIDY_DATA_KEY`` or, when unset,
``instance/data_key`` (0600, generated on first start). A copy of the database alone (a backup, a
dump) therefore holds no ID number and no unkeyed hash that could be brute-forced from the 18
digits' structure. Losing the key loses the ID numbers: back the instance folder up with the data.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import Flask, current_app
from sqlalchemy import JSON, Dialect, select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.types import TypeDecorator, TypeEngine

EXTENSION = "subsidy.sealing"
PREFIX = "enc1:"
SEALED_KEYS = frozenset({"id_number"})


@dataclass(frozen=True)
class Keys:
    fernet: Fernet
    search: bytes

    @classmethod
    def from_secret(cls, secret: str) -> Keys:
        """Two independent keys from the one secret (HKDF-SHA256), so neither reveals the other."""
        material = HKDF(algorithm=hashes.SHA256(), length=64, salt=None, info=b"subsidy-data-v1").derive(
            secret.encode("utf-8")
        )
        return cls(fernet=Fernet(base64.urlsafe_b64encode(material[:32])), search=material[32:])


def init_app(app: Flask) -> None:
    """The app's keys, also on its database engine's dialect: a column is sealed and opened by the
    engine that writes or reads it, inside a request or not (commands, tests, seal_existing)."""
    from web import db

    found = Keys.from_secret(app.config["DATA_KEY"])
    app.extensions[EXTENSION] = found
    db.database(app).engine.dialect.subsidy_keys = found  # type: ignore[attr-defined]


def keys(app: Flask | None = None) -> Keys:
    return (app or current_app).extensions[EXTENSION]


def search_hash(number: str, app: Flask | None = None) -> str:
    """The key a full ID number is found by: HMAC-SHA256 under the data key, hex."""
    normal = number.strip().upper().encode("ascii", "replace")
    return hmac.new(keys(app).search, normal, hashlib.sha256).hexdigest()


def seal_text(value: str, found: Keys) -> str:
    if value.startswith(PREFIX):
        return value
    return PREFIX + found.fernet.encrypt(value.encode("utf-8")).decode("ascii")


def open_text(value: str, found: Keys) -> str:
    if not value.startswith(PREFIX):
        return value  # written before sealing (seal_existing rewrites it)
    try:
        return found.fernet.decrypt(value[len(PREFIX) :].encode("ascii")).decode("utf-8")
    except InvalidToken as err:
        raise ValueError(
            "身份证号码无法解密：数据密钥（SUBSIDY_DATA_KEY 或 instance/data_key）与写入时不同"
        ) from err


def _walk(doc: Any, change: Any) -> Any:
    if isinstance(doc, dict):
        return {
            k: change(v) if k in SEALED_KEYS and isinstance(v, str) else _walk(v, change)
            for k, v in doc.items()
        }
    if isinstance(doc, list):
        return [_walk(v, change) for v in doc]
    return doc


def seal(doc: Any, found: Keys) -> Any:
    return _walk(doc, lambda v: seal_text(v, found))


def unseal(doc: Any, found: Keys) -> Any:
    return _walk(doc, lambda v: open_text(v, found))


def _dialect_keys(dialect: Dialect) -> Keys:
    found = getattr(dialect, "subsidy_keys", None)
    return found if isinstance(found, Keys) else keys()


class SealedJson(TypeDecorator[Any]):
    """JSON (JSONB on PostgreSQL) whose ``id_number`` values are encrypted in the database and
    clear in Python."""

    impl = JSON
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        return dialect.type_descriptor(JSONB() if dialect.name == "postgresql" else JSON())

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        return None if value is None else seal(value, _dialect_keys(dialect))

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        return None if value is None else unseal(value, _dialect_keys(dialect))


def seal_existing(app: Flask) -> int:
    """Encrypt the ID numbers of decisions stored before sealing, and key every case's search hash.

    Run after each migration (``subsidy serve``, ``subsidy db upgrade``): it touches only rows
    migration 0005 marked (``decisions.sealed`` false, ``cases.id_hash`` emptied). Returns the
    number of decisions rewritten.
    """
    from web import db
    from web.cases.store import apply_identity_hash
    from web.records import CaseRecord, DecisionRecord

    done = 0
    with app.app_context(), db.database(app).sessions() as session:
        for decision in session.scalars(select(DecisionRecord).where(DecisionRecord.sealed.is_(False))):
            for name in ("inputs", "evaluation", "receipt"):
                flag_modified(decision, name)  # written again, now through SealedJson
            decision.sealed = True
            done += 1
        session.flush()
        unkeyed = select(CaseRecord).where(CaseRecord.id_hash.is_(None), CaseRecord.id_masked.is_not(None))
        for record in session.scalars(unkeyed):
            apply_identity_hash(record)
        session.commit()
    return done
