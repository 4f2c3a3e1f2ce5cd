from functools import wraps

from django.conf import settings
from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import time_format
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from alliance.kernel.api.backends import client_address
from alliance.kernel.http import allow
from alliance.kernel.middleware import PERMISSIONS_POLICY
from alliance.kernel.shared_cache import count as count_in_window
from alliance.kernel.tasks import enqueue_on_commit

from . import emails, services
from .forms import RegistrationForm
from .models import (
    MANAGE_SALT,
    TICKET_SALT,
    Registration,
    Status,
    events_with_settings,
)

RATE_WINDOW = 60 * 60  # seconds
SEARCH_RESULTS = 20
MAX_QUERY_LENGTH = 100


def _event_with_settings(slug):
    """A published event that takes registrations, or 404."""
    event = get_object_or_404(events_with_settings().published(), slug=slug)
    if not hasattr(event, "registration_settings"):
        raise Http404(_("This event takes no registrations on this site."))
    return event


def _site_url(request):
    return request.build_absolute_uri("/").rstrip("/")


def _is_full(event):
    capacity = event.registration_settings.capacity
    return (
        capacity is not None
        and Registration.objects.holding_places().of_event(event).count() >= capacity
    )


@allow("GET", "POST")
@never_cache
def register(request, slug):
    """The registration form: honeypot, CSRF and a per-address rate limit, as the join form."""
    event = _event_with_settings(slug)
    reg_settings = event.registration_settings
    state = reg_settings.state()
    context = {"event": event, "settings": reg_settings, "state": state}
    # A form sent when none is taken is refused (409), with the page that says why.
    refused = 409 if request.method == "POST" else 200
    if state != "open":
        return render(request, "registrations/register.html", context, status=refused)
    context["full"] = full = _is_full(event)
    if full and not reg_settings.waitlist:
        return render(request, "registrations/register.html", context, status=refused)
    status = 200
    if request.method == "POST":
        attempts = count_in_window(
            f"register-rate:{client_address(request)}", RATE_WINDOW
        )
        if attempts > settings.REGISTRATION_RATE_LIMIT:
            response = render(
                request, "registrations/rate_limited.html", context, status=429
            )
            response["Retry-After"] = str(RATE_WINDOW)
            return response
        form = RegistrationForm(request.POST, registration_settings=reg_settings)
        if form.is_valid():
            try:
                services.register(
                    event=event,
                    data=form.registrant_data(),
                    answers=form.answers(),
                    language=form.cleaned_data["language"],
                    site_url=_site_url(request),
                )
            except services.RegistrationClosed:
                context["state"] = "closed"
                context["full"] = _is_full(event)
                return render(
                    request, "registrations/register.html", context, status=409
                )
            # The same answer whatever happened: a stranger learns nothing
            # about who registered. The email tells the owner of the address.
            return redirect("registrations:register-thanks", slug=event.slug)
        status = 400
    else:
        form = RegistrationForm(registration_settings=reg_settings)
    context["form"] = form
    return render(request, "registrations/register.html", context, status=status)


@allow("GET")
def register_thanks(request, slug):
    event = _event_with_settings(slug)
    return render(request, "registrations/register_thanks.html", {"event": event})


def _registration_from_token(event, token):
    code = Registration.code_from(token, salt=MANAGE_SALT)
    registration = (
        Registration.objects.of_event(event).by_code(code).first() if code else None
    )
    if registration is None:
        raise Http404(_("This link is not valid, or the registration was erased."))
    return registration


@allow("GET", "POST")
@never_cache
def manage(request, slug, token):
    """The registrant's own page, reached by the private link of their emails: see, change, cancel."""
    event = _event_with_settings(slug)
    registration = _registration_from_token(event, token)
    reg_settings = event.registration_settings
    active = registration.status in (
        Status.CONFIRMED,
        Status.PENDING,
        Status.WAITLISTED,
    )
    # Details change while the form is open; a place can be given back
    # until the event ends.
    editable = active and reg_settings.state() != "closed"
    cancellable = active and event.ends_on >= timezone.localdate()
    cancelling = request.method == "POST" and request.POST.get("action") == "cancel"
    status = 200
    form = None
    if cancelling and cancellable:
        services.cancel(registration, site_url=_site_url(request))
        return redirect(request.path + "?done=cancelled")
    if request.method == "POST" and (cancelling or not editable):
        status = 409
    elif request.method == "POST":
        form = RegistrationForm(
            request.POST, registration_settings=reg_settings, with_email=False
        )
        if form.is_valid():
            for name, value in form.registrant_data().items():
                setattr(registration, name, value)
            registration.language = form.cleaned_data["language"]
            registration.answers = form.answers()
            registration.save()
            site_url = _site_url(request)
            enqueue_on_commit(emails.send, registration.pk, "changed", site_url)
            return redirect(request.path + "?done=changed")
        status = 400
    if editable and form is None:
        form = RegistrationForm(
            registration_settings=reg_settings,
            with_email=False,
            initial=RegistrationForm.initial_for(registration),
        )
    ticket = None
    if registration.status == Status.CONFIRMED:
        svg = emails.ticket_svg(registration.ticket_token)
        ticket = mark_safe(
            svg.replace(
                "<svg ",
                format_html(
                    '<svg role="img" aria-label="{}" ', _("Your ticket's QR code")
                ),
                1,
            )
        )
    return render(
        request,
        "registrations/manage.html",
        {
            "event": event,
            "registration": registration,
            "form": form,
            "ticket": ticket,
            "cancellable": cancellable,
            "done": request.GET.get("done", "")[:20],
            "not_editable": status == 409,
        },
        status=status,
    )


# --- Check-in ---------------------------------------------------------------


def _staff_event(request, slug):
    """The event, for a signed-in user allowed to check people in."""
    # Signed in to the admin as staff, with the second factor where the
    # admin asks for one.
    if not admin.site.has_permission(request):
        raise _LoginRequired
    if not request.user.has_perm("registrations.check_in"):
        raise PermissionDenied(_("Only Event staff may check people in."))
    event = get_object_or_404(events_with_settings(), slug=slug)
    if not hasattr(event, "registration_settings"):
        raise Http404(_("This event takes no registrations on this site."))
    return event


class _LoginRequired(Exception):
    pass


def staff_only(view):
    @wraps(view)
    def inner(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except _LoginRequired:
            return redirect_to_login(request.get_full_path(), reverse("admin:login"))

    return inner


def _counts(event):
    return Registration.objects.of_event(event).counts()


def _result_message(outcome):
    if outcome.result == "checked_in":
        return _("Checked in")
    if outcome.result == "already":
        return _("Already checked in at %(time)s") % {
            "time": time_format(timezone.localtime(outcome.at), "H:i")
        }
    return _("Not registered, or cancelled")


def _wants_json(request):
    return "application/json" in request.headers.get("Accept", "")


@allow("GET", "POST")
@never_cache
@staff_only
def check_in(request, slug):
    """The door: scan a ticket (or search by name or email), and see the answer at once."""
    event = _staff_event(request, slug)
    outcome = None
    status = 200
    if request.method == "POST":
        code = None
        if ticket := request.POST.get("ticket", ""):
            code = Registration.code_from(ticket[:200], salt=TICKET_SALT)
        elif (pk := request.POST.get("registration", "")).isdigit():
            code = (
                Registration.objects.of_event(event)
                .filter(pk=int(pk))
                .values_list("code", flat=True)
                .first()
            )
        if code:
            outcome = services.check_in(event, code=code, user=request.user)
        else:
            outcome = services.CheckIn("unknown")
        if outcome.result == "unknown":
            status = (
                404
                if request.POST.get("ticket") or request.POST.get("registration")
                else 400
            )
        if _wants_json(request):
            registration = outcome.registration if outcome.result != "unknown" else None
            return JsonResponse(
                {
                    "result": outcome.result,
                    "message": _result_message(outcome),
                    "name": registration.name if registration else "",
                    "organization": registration.organization if registration else "",
                    "counts": _counts(event),
                },
                status=status,
            )
    query = request.GET.get("q", "").strip()[:MAX_QUERY_LENGTH]
    matches = []
    if len(query) >= 2:
        matches = Registration.objects.of_event(event).at_the_door(query)[
            :SEARCH_RESULTS
        ]
    response = render(
        request,
        "registrations/check_in.html",
        {
            "event": event,
            "outcome": outcome,
            "message": _result_message(outcome) if outcome else "",
            "query": query,
            "matches": matches,
            "counts": _counts(event),
        },
        status=status,
    )
    # The camera, for this page and this site only.
    response["Permissions-Policy"] = PERMISSIONS_POLICY.replace(
        "camera=()", "camera=(self)"
    )
    return response


@allow("GET")
@never_cache
@staff_only
def check_in_counts(request, slug):
    """Registered, waitlisted and checked-in people, for the door's live count."""
    event = _staff_event(request, slug)
    return JsonResponse(_counts(event))
