"""Bring records keyed on slugs to given values, writing only what differs.

`update_or_create` saves every time, and a save of public content moves its
`updated_at`, the site's content-change mark and the response cache's
generation: partners' mirrors would fetch everything again after each run of
`load_demo_content`, and every cached page would be thrown away.
"""

CREATED, UPDATED, UNCHANGED = "created", "updated", "unchanged"


def upsert(model, *, slug, values, create_only=None):
    """The object with `slug`, created or brought to `values`: (object, what happened).

    An existing object is saved only when a value differs from the stored
    one. `create_only` values are set on creation and left alone afterwards
    (a time relative to now, such as a scheduled article's).
    """
    obj = model.objects.filter(slug=slug).first()
    if obj is None:
        obj = model(slug=slug, **values, **(create_only or {}))
        obj.save()
        return obj, CREATED
    changed = False
    for name, value in values.items():
        field = model._meta.get_field(name)
        before = field.value_from_object(obj)
        setattr(obj, name, value)
        # Compared as the field holds it: a related object as its key, a
        # country code as a Country, 100 as Decimal("100.00").
        changed |= field.value_from_object(obj) != before
    if not changed:
        return obj, UNCHANGED
    obj.save()
    return obj, UPDATED
