"""The declarative base, its naming convention, and the column types every table shares.
Every timestamp is aware UTC; every enum is stored by its value."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    Enum,
    Integer,
    MetaData,
    String,
)
from sqlalchemy.orm import DeclarativeBase

# Stable constraint names, so migrations can alter them by name on both databases.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# SQLite only makes INTEGER PRIMARY KEY an alias of its rowid (autoincrement).
Id = BigInteger().with_variant(Integer(), "sqlite")
SlackId = String(32)
# Byte order makes prefix ranges on search terms use the index under any database locale.
Term = String(64).with_variant(String(64, collation="C"), "postgresql")
NameKey = String(150).with_variant(String(150, collation="C"), "postgresql")


def _enum(cls: type[StrEnum]) -> Enum:
    return Enum(
        cls,
        native_enum=False,
        create_constraint=False,
        length=20,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
