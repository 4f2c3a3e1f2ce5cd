"""Staff preview of unpublished content, decided in one place."""

from django.contrib.auth import get_permission_codename


class PreviewMixin:
    """Serve published objects to everyone, and any object to its editors with ?preview.

    Detail views list this mixin first and implement `get_base_queryset()`
    (eager loading included). Visitors get `published()` of it; a user who
    may change the view's model in the admin and adds `?preview` to the
    address also sees drafts and scheduled items, so an editor can check a
    page before it goes out. Being staff is not enough: a membership manager
    has no business reading draft articles. Responses to previews are never
    cached.
    """

    preview_parameter = "preview"

    def get_base_queryset(self):
        return self.model._default_manager.all()

    def is_preview(self):
        request = self.request
        if self.preview_parameter not in request.GET:
            return False
        opts = self.model._meta
        return request.user.is_staff and request.user.has_perm(
            f"{opts.app_label}.{get_permission_codename('change', opts)}"
        )

    def get_queryset(self):
        queryset = self.get_base_queryset()
        return queryset if self.is_preview() else queryset.published()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["is_preview"] = self.is_preview()
        return context

    def render_to_response(self, context, **response_kwargs):
        response = super().render_to_response(context, **response_kwargs)
        if context.get("is_preview"):
            response["Cache-Control"] = "private, no-store"
        return response
