from django.shortcuts import render
from django.views.decorators.http import require_GET
from django.views.generic import DetailView

from .models import Page
from .preview import PreviewMixin


@require_GET
def home(request):
    return render(request, "alliance/home.html")


class PageDetailView(PreviewMixin, DetailView):
    model = Page
