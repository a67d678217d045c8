"""Declaring custom attributes (SPEC §2.1): define, relabel or retype, delete. Each is an action
(atomic, audited). A type change converts every stored value or changes nothing; deleting an
attribute removes its key from every contact in one statement."""

from __future__ import annotations

from django.db import connection, transaction

from mailwright.audit import log as audit
from mailwright.audit.actors import Actor
from mailwright.contacts import attributes
from mailwright.contacts.models import AttributeDefinition, Contact

TYPES = tuple(AttributeDefinition.Type.values)
CHUNK = 2000


class AttributeDefinitionError(ValueError):
    """The definition cannot be saved as asked; `field` names the offending field."""

    def __init__(self, message: str, field: str = "", code: str = "invalid") -> None:
        super().__init__(message)
        self.field = field
        self.code = code


def check_key(key) -> str:
    if not isinstance(key, str) or not attributes.KEY.fullmatch(key):
        shown = str(key)[:70]
        raise AttributeDefinitionError(
            f"key {shown!r} must be 1 to 64 lowercase letters, digits or _, not starting"
            " with a digit (e.g. plan, orders_2024)",
            field="key",
        )
    return key


def _check_type(type_) -> str:
    if type_ not in TYPES:
        raise AttributeDefinitionError(
            f"type must be one of {', '.join(TYPES)} (got {str(type_)[:20]!r})", field="type"
        )
    return type_


def _check_label(label) -> str:
    if not isinstance(label, str):
        raise AttributeDefinitionError("label must be text", field="label")
    label = label.strip()
    if len(label) > 200:
        raise AttributeDefinitionError("label is longer than 200 characters", field="label")
    if any(ch in label for ch in "\r\n\x00"):
        raise AttributeDefinitionError("label must be on one line", field="label")
    return label


@transaction.atomic
def do_define_attribute(key: str, type: str, label: str = "", *, by: Actor):
    """Declare a new attribute."""
    key, type, label = check_key(key), _check_type(type), _check_label(label)
    if AttributeDefinition.objects.filter(key=key).exists():
        raise AttributeDefinitionError(
            f"an attribute {key!r} already exists", field="key", code="conflict"
        )
    definition = AttributeDefinition.objects.create(key=key, type=type, label=label)
    audit.record(by, "attribute.define", "attribute", key, after={"type": type, "label": label})
    return definition


def _get(key: str) -> AttributeDefinition:
    definition = AttributeDefinition.objects.select_for_update().filter(key=key).first()
    if definition is None:
        raise AttributeDefinitionError(f"no attribute {key!r}", field="key", code="not_found")
    return definition


def convert(key: str, value, new_type: str):
    """A stored value as `new_type`; AttributeValueError when it does not convert."""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, (int, float)):
        text = str(value)
    else:
        text = value
    return attributes.CLEANERS[new_type](key, text, True)


def _retype(key: str, new_type: str) -> int:
    """Convert every stored value of `key`, or raise naming how many contacts block it."""
    holders = Contact.objects.filter(attributes__has_key=key).order_by("id")
    converted: list[Contact] = []
    blocked = 0
    example = ""
    last = 0
    while True:
        rows = list(holders.filter(id__gt=last).values_list("id", "attributes")[:CHUNK])
        if not rows:
            break
        last = rows[-1][0]
        for pk, values in rows:
            try:
                new = convert(key, values[key], new_type)
            except attributes.AttributeValueError:
                blocked += 1
                example = example or repr(values[key])[:40]
                continue
            if not blocked and new != values[key]:
                converted.append(Contact(pk=pk, attributes={**values, key: new}))
    if blocked:
        raise AttributeDefinitionError(
            f"cannot change {key!r} to {new_type}: {blocked:,} contact"
            f"{'s have values' if blocked != 1 else ' has a value'} that"
            f" {'do' if blocked != 1 else 'does'} not convert (e.g. {example}); correct or"
            " remove those values first",
            field="type",
            code="conflict",
        )
    Contact.objects.bulk_update(converted, ["attributes"], batch_size=500)
    return len(converted)


@transaction.atomic
def do_update_attribute(
    key: str,
    *,
    label: str | None = None,
    type: str | None = None,
    by: Actor,
) -> AttributeDefinition:
    """Change the label, or the type when every stored value converts to it."""
    definition = _get(key)
    before = {"type": definition.type, "label": definition.label}
    converted = 0
    if label is not None:
        definition.label = _check_label(label)
    if type is not None and _check_type(type) != definition.type:
        converted = _retype(key, type)
        definition.type = type
    definition.save()
    after = {"type": definition.type, "label": definition.label}
    if after != before:
        audit.record(
            by,
            "attribute.update",
            "attribute",
            key,
            before=before,
            after={**after, "values_converted": converted},
        )
    return definition


def _remove_key_everywhere(key: str) -> int:
    """One UPDATE removing `key` from every contact's attributes; returns rows changed."""
    table = Contact._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"UPDATE {table} SET attributes = attributes - %s"  # noqa: S608
                " WHERE attributes ? %s",
                [key, key],
            )
        else:
            path = f'$."{key}"'  # the key is checked: [a-z_][a-z0-9_]*
            cursor.execute(
                f"UPDATE {table} SET attributes = json_remove(attributes, %s)"  # noqa: S608
                " WHERE json_type(attributes, %s) IS NOT NULL",
                [path, path],
            )
        return cursor.rowcount


@transaction.atomic
def do_delete_attribute(key: str, *, by: Actor) -> int:
    """Forget the attribute and remove its values from every contact. Returns how many
    contacts had a value."""
    definition = _get(key)
    removed = _remove_key_everywhere(key)
    definition.delete()
    audit.record(
        by,
        "attribute.delete",
        "attribute",
        key,
        before={"type": definition.type, "label": definition.label},
        after={"contacts_changed": removed},
    )
    return removed
