"""`[dbci.data]` as the refresh reads it, and the plan it makes from two catalogs: the
settings' one-line errors, how tables are reached, and the masks a foreign key refuses."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from dbci.data.config import DataSettings, MaskRule, StartRule, data_settings
from dbci.data.model import Catalog, Column, ForeignKey, Table
from dbci.data.plan import make_plan
from dbci.errors import InputError


def _read(data: dict[str, Any], environ: dict[str, str] | None = None) -> DataSettings:
    return data_settings(SimpleNamespace(dbci={"data": data}), environ or {})  # type: ignore[arg-type]


def test_start_tables_masks_and_options() -> None:
    read = _read(
        {
            "orders": "placed_at > now() - interval '30 days'",
            "customers": " 5 % ",
            "start": {"salt": "id < 10"},  # a table named like an option
            "salt": "${env.MY_SALT}",
            "children": True,
            "mask": {
                "Customers.Email": "email",
                "customers.born": "shift:30d",
                "customers.city": {"faker": "city", "locale": "de_DE"},
                "customers.tier": {"constant": "gold"},
                "customers.notes": "NULL",
            },
        },
        {"MY_SALT": "s3cret"},
    )
    assert set(read.start) == {
        StartRule("orders", condition="placed_at > now() - interval '30 days'"),
        StartRule("customers", percent=5.0),
        StartRule("salt", condition="id < 10"),
    }
    assert read.salt == b"s3cret" and read.children is True and read.unreached == "all"
    assert read.masks == {
        "customers.email": MaskRule("faker", "email"),
        "customers.born": MaskRule("shift", 30),
        "customers.city": MaskRule("faker", "city", "de_DE"),
        "customers.tier": MaskRule("constant", "gold"),
        "customers.notes": MaskRule("null"),
    }
    assert _read({}, {"DBCI_DATA_SALT": "from the variable"}).salt == b"from the variable"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"orders": ""}, "[dbci.data] orders must be a SQL condition"),
        ({"orders": "0%"}, "a percentage must be more than 0"),
        ({"unreached": "some"}, "unreached must be one of all, empty, skip"),
        ({"children": "yes"}, "children must be true or false"),
        ({"children_limit": -1}, "children_limit must be a whole number"),
        ({"salt": "${env.NOT_SET_ANYWHERE}"}, "NOT_SET_ANYWHERE is not set"),
        ({"mask": {"t.c": "not a mask!"}}, "neither a mask nor a Faker provider"),
        ({"mask": {"t.c": {"shift": 0}}}, "shift must be a whole number of days, 1 or more"),
        ({"mask": {"t.c": {"fake": "x"}}}, "unknown key 'fake'"),
        ({"mask": {"t.c": "constant"}}, '{constant = "value"}'),
        ({"targets": 3}, "targets must be a list"),
        ({"masks": {"t.c": "hash"}}, "[dbci.data.masks] is not a table dbci reads"),
    ],
)
def test_wrong_settings_are_one_line(data: dict[str, Any], message: str) -> None:
    with pytest.raises(InputError) as raised:
        _read(data)
    assert message in str(raised.value) and "\n" not in str(raised.value)


def _text(name: str, length: int | None = None) -> Column:
    return Column(name, "text", "text", True, max_length=length)


def _int(name: str) -> Column:
    return Column(name, "bigint", "integer", False, int_bits=64)


def _catalog() -> Catalog:
    """countries <- customers (self-reference) <- orders <- lines; audit stands alone."""
    tables = [
        Table("public", "countries", (_text("code"), _text("name")), ("code",)),
        Table(
            "public",
            "customers",
            (_int("id"), _text("email"), _text("country"), _int("referred_by")),
            ("id",),
            (("email",),),
            (
                ForeignKey("c_country", ("country",), ("public", "countries"), ("code",)),
                ForeignKey("c_ref", ("referred_by",), ("public", "customers"), ("id",)),
            ),
        ),
        Table(
            "public",
            "orders",
            (_int("id"), _int("customer_id"), _text("customer_email")),
            ("id",),
            (),
            (
                ForeignKey("o_customer", ("customer_id",), ("public", "customers"), ("id",)),
                ForeignKey("o_email", ("customer_email",), ("public", "customers"), ("email",)),
            ),
        ),
        Table(
            "public",
            "lines",
            (_int("order_id"), _int("no")),
            ("order_id", "no"),
            (),
            (ForeignKey("l_order", ("order_id",), ("public", "orders"), ("id",)),),
        ),
        Table("public", "audit", (_int("id"), _text("note")), ("id",)),
    ]
    return Catalog({t.key: t for t in tables})


def _how(data: DataSettings) -> dict[str, str]:
    plan = make_plan(_catalog(), _catalog(), data)
    return {t.target.name: t.how for t in plan.tables}


def test_how_each_table_is_reached() -> None:
    start = (StartRule("orders", condition="id > 5"),)
    assert _how(DataSettings(start=start)) == {
        "countries": "parent",
        "customers": "parent",
        "orders": "start",
        "lines": "empty",  # below the start table: whole, it would bring every order back
        "audit": "whole",
    }
    assert _how(DataSettings(start=start, children=True, unreached="skip"))["lines"] == "child"
    assert _how(DataSettings(start=start, unreached="skip"))["audit"] == "skipped"
    plan = make_plan(_catalog(), _catalog(), DataSettings(start=start, children=True))
    assert [(name[1], key.name) for name, key in plan.downward] == [("lines", "l_order")]
    # Parents come before children in the plan's order.
    order = [t.target.name for t in plan.tables]
    assert order.index("countries") < order.index("customers") < order.index("orders")


def test_foreign_keys_need_the_masks_of_the_keys_they_reference() -> None:
    masks = {"customers.email": MaskRule("faker", "email")}
    with pytest.raises(InputError) as raised:
        make_plan(_catalog(), _catalog(), DataSettings(masks=masks))
    assert "public.orders.customer_email references public.customers.email (o_email)" in str(
        raised.value
    )
    masks["orders.customer_email"] = MaskRule("faker", "email")
    plan = make_plan(_catalog(), _catalog(), DataSettings(masks=masks, locale="en_US"))
    assert plan.masked == ["public.customers.email", "public.orders.customer_email"]
    masks = {"customers.id": MaskRule("shuffle"), "orders.customer_id": MaskRule("shuffle")}
    with pytest.raises(InputError, match="cannot be shuffled"):
        make_plan(_catalog(), _catalog(), DataSettings(masks=masks))


@pytest.mark.parametrize(
    ("masks", "start", "message"),
    [
        ({"nope.c": MaskRule("hash")}, (), "[dbci.data.mask] nope: no such table"),
        ({"customers.nope": MaskRule("hash")}, (), "public.customers has no such column"),
        ({"email": MaskRule("hash")}, (), "write a column as table.column"),
        ({}, (StartRule("missing", condition="1=1"),), "[dbci.data] missing: no such table"),
    ],
)
def test_names_that_name_nothing_are_refused(
    masks: dict[str, MaskRule], start: tuple[StartRule, ...], message: str
) -> None:
    with pytest.raises(InputError) as raised:
        make_plan(_catalog(), _catalog(), DataSettings(start=start, masks=masks))
    assert message in str(raised.value)
