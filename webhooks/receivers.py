"""What the webhooks app hears from the kernel: every public change."""

from django.db.models.signals import post_delete, post_save

from alliance.kernel.changes import public_change

from .models import Endpoint
from .services import event_record, forget_endpoints


def on_public_change(sender, *, resource, slugs, kind, time, reason="", **kwargs):
    event_record(resource=resource, slugs=slugs, kind=kind, time=time, reason=reason)


def connect():
    public_change.connect(on_public_change, dispatch_uid="webhooks-events")
    post_save.connect(forget_endpoints, sender=Endpoint, dispatch_uid="webhooks-ep")
    post_delete.connect(forget_endpoints, sender=Endpoint, dispatch_uid="webhooks-ep")
