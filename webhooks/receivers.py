"""What the webhooks app hears from the kernel: every public change."""

from alliance.changes import public_change

from .services import event_record


def on_public_change(sender, *, resource, slugs, kind, time, reason="", **kwargs):
    event_record(resource=resource, slugs=slugs, kind=kind, time=time, reason=reason)


def connect():
    public_change.connect(on_public_change, dispatch_uid="webhooks-events")
