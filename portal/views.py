"""The member portal: representatives sign in, see their organization, propose changes.

Every view but sign-in and password choice asks for a signed-in
representative, and every view about a member finds it among the members
that person represents: anyone else gets a 404, the same answer as for a
member that does not exist.
"""

import base64
import hashlib

import segno
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse_lazy
from django.utils import translation
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.generic import FormView, TemplateView, View
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from alliance.kernel.api.backends import client_address
from alliance.kernel.private_files import image_response
from alliance.kernel.shared_cache import count as count_in_window
from members.models import MembershipApplication

from .forms import (
    PasswordCheckForm,
    PortalLoginForm,
    PortalPasswordResetForm,
    ProfileForm,
    TokenForm,
)
from .models import Representative, member_values
from .services import (
    change_request_submit,
    change_request_verify,
    change_request_withdraw,
)

# The reset form, within an hour: so many forms from one client address
# (then 429), and so many emails to one email address (then none, with the
# same answer, so that nobody can fill a representative's inbox).
RESET_WINDOW = 60 * 60
RESET_FORMS_PER_CLIENT = 10
RESET_EMAILS_PER_ADDRESS = 3

# A representative's session ends after this many seconds, or when the
# browser closes, whichever comes first.
SESSION_SECONDS = 8 * 60 * 60


def site_url(request):
    return request.build_absolute_uri("/").rstrip("/")


class PortalLoginView(auth_views.LoginView):
    template_name = "portal/login.html"
    authentication_form = PortalLoginForm
    next_page = reverse_lazy("portal:home")

    def form_valid(self, form):
        response = super().form_valid(form)
        self.request.session.set_expiry(SESSION_SECONDS)
        return response


class PortalLogoutView(auth_views.LogoutView):
    """Sign out by POST; a GET (a bookmark, a typed address) shows the button to do it."""

    http_method_names = ["get", "head", "post", "options"]
    template_name = "portal/logout.html"
    next_page = reverse_lazy("portal:login")

    def get(self, request, *args, **kwargs):
        return TemplateResponse(request, self.template_name)


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "portal/password_reset.html"
    form_class = PortalPasswordResetForm
    success_url = reverse_lazy("portal:password-reset-sent")

    def post(self, request, *args, **kwargs):
        attempts = count_in_window(
            f"portal-reset-rate:{client_address(request)}", RESET_WINDOW
        )
        if attempts > RESET_FORMS_PER_CLIENT:
            response = TemplateResponse(
                request, "portal/password_reset_rate_limited.html", status=429
            )
            response["Retry-After"] = str(RESET_WINDOW)
            return response
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        # The same answer whether the address is known or not, and whether
        # it was sent a link too often this hour.
        email = form.cleaned_data["email"].strip().lower()
        digest = hashlib.sha256(email.encode()).hexdigest()
        sent = count_in_window(f"portal-reset-email:{digest}", RESET_WINDOW)
        if sent <= RESET_EMAILS_PER_ADDRESS:
            form.save(site_url=site_url(self.request))
        return redirect(self.success_url)


class PasswordResetSentView(TemplateView):
    template_name = "portal/password_reset_sent.html"


class SetPasswordView(auth_views.PasswordResetConfirmView):
    """Choose a password from the invitation's or the reset's signed link."""

    template_name = "portal/set_password.html"
    success_url = reverse_lazy("portal:set-password-done")


class SetPasswordDoneView(TemplateView):
    template_name = "portal/set_password_done.html"


@method_decorator(never_cache, name="dispatch")
class RepresentativeMixin(LoginRequiredMixin):
    """Signed-in representatives only; `self.member` is one they represent."""

    login_url = reverse_lazy("portal:login")

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.representations = Representative.objects.of_user(
            request.user
        ).with_members()
        if "slug" in kwargs:
            representation = next(
                (r for r in self.representations if r.member.slug == kwargs["slug"]),
                None,
            )
            if representation is None:
                raise Http404(
                    _("No member organization you represent has this address.")
                )
            self.member = representation.member
        return super().dispatch(request, *args, **kwargs)

    def open_request(self):
        return self.member.change_requests.pending().first()


class PortalHomeView(RepresentativeMixin, TemplateView):
    """The representative's organizations: profile, requests, scenarios, news, application."""

    template_name = "portal/home.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        organizations = []
        for representation in self.representations:
            member = representation.member
            requests = list(member.change_requests.all()[:10])
            organizations.append(
                {
                    "member": member,
                    "sectors": member.sectors.all(),
                    "open_request": next((r for r in requests if r.is_pending), None),
                    "requests": requests,
                    "participations": member.scenario_participations.in_published_scenarios().with_scenarios(),
                    "articles": member.articles.published().newest_first()[:10],
                    "application": MembershipApplication.objects.filter(
                        member=member
                    ).first(),
                }
            )
        context["organizations"] = organizations
        return context


class ProposedLogoView(RepresentativeMixin, View):
    """The logo proposed in the open request, from the private files, to its representatives."""

    def get(self, request, *args, **kwargs):
        change_request = self.open_request()
        if change_request is None:
            raise Http404("No request is waiting for review.")
        return image_response(change_request.logo)


class ChangeRequestView(RepresentativeMixin, FormView):
    """Propose changes to the profile, or edit the open proposal."""

    template_name = "portal/change_request.html"
    form_class = ProfileForm

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["member"] = self.member
        return kwargs

    def get_initial(self):
        self.change_request = self.open_request()
        if self.change_request is not None and not self.change_request.is_verification:
            values = self.change_request.proposed
        else:
            values = member_values(self.member)
        return {**ProfileForm.initial_from(values)} | (
            {"note": self.change_request.note} if self.change_request else {}
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(member=self.member, change_request=self.change_request)
        return context

    def form_valid(self, form):
        try:
            change_request_submit(
                member=self.member,
                user=self.request.user,
                values=form.proposed_values(),
                logo=form.cleaned_data.get("logo"),
                note=form.cleaned_data.get("note", ""),
                language=translation.get_language(),
                site_url=site_url(self.request),
            )
        except ValidationError as error:
            form.add_error(None, error)
            return self.render_to_response(self.get_context_data(form=form), status=409)
        messages.success(
            self.request,
            _(
                "Your request was sent. The secretariat reviews it and tells you by email."
            ),
        )
        return redirect("portal:home")

    def form_invalid(self, form):
        response = super().form_invalid(form)
        response.status_code = 400
        return response


class VerifyView(RepresentativeMixin, TemplateView):
    """Confirm that nothing has changed: a request that moves the last-verified date."""

    template_name = "portal/verify.html"

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "member": self.member,
            "change_request": self.open_request(),
        }

    def post(self, request, *args, **kwargs):
        try:
            change_request_verify(
                member=self.member,
                user=request.user,
                language=translation.get_language(),
                site_url=site_url(request),
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect("portal:home")
        messages.success(
            request,
            _(
                "Thank you. The secretariat records the confirmation once it has looked at it."
            ),
        )
        return redirect("portal:home")


class WithdrawView(RepresentativeMixin, TemplateView):
    """Withdraw the member's open request, before it is reviewed."""

    template_name = "portal/withdraw.html"

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "member": self.member,
            "change_request": self.open_request(),
        }

    def post(self, request, *args, **kwargs):
        change_request = self.open_request()
        if change_request is None:
            messages.error(request, _("There is no request waiting for review."))
            return redirect("portal:home")
        try:
            change_request_withdraw(change_request=change_request)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Your request was withdrawn."))
        return redirect("portal:home")


class TwoFactorView(RepresentativeMixin, TemplateView):
    """Turn a second sign-in step (a code from an authenticator app) on or off."""

    template_name = "portal/two_factor.html"

    def devices(self):
        return TOTPDevice.objects.devices_for_user(self.request.user, confirmed=None)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        confirmed = [device for device in self.devices() if device.confirmed]
        if confirmed:
            context.update(
                enabled=True,
                form=kwargs.get("form") or PasswordCheckForm(user=self.request.user),
            )
            return context
        device = self.new_device()
        context.update(
            enabled=False,
            form=kwargs.get("form") or TokenForm(device=device),
            secret=base64.b32encode(device.bin_key).decode(),
            qr=segno.make(device.config_url, error="m").svg_data_uri(scale=4),
        )
        return context

    def new_device(self):
        device = next((d for d in self.devices() if not d.confirmed), None)
        if device is None:
            device = TOTPDevice.objects.create(
                user=self.request.user, name=_("Member portal"), confirmed=False
            )
        return device

    def post(self, request, *args, **kwargs):
        if any(device.confirmed for device in self.devices()):
            form = PasswordCheckForm(request.POST, user=request.user)
            if form.is_valid():
                self.devices().delete()
                messages.success(request, _("The second sign-in step is off."))
                return redirect("portal:home")
        else:
            device = self.new_device()
            form = TokenForm(request.POST, device=device)
            if form.is_valid():
                device.confirmed = True
                device.save()
                otp_login(request, device)
                messages.success(
                    request,
                    _(
                        "The second sign-in step is on: sign-in asks for a code from now on."
                    ),
                )
                return redirect("portal:home")
        return self.render_to_response(self.get_context_data(form=form), status=400)
