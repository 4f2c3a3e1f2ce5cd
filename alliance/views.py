from django.shortcuts import render
from django.views.decorators.http import require_GET
from django.views.generic import DetailView

from .models import Page


@require_GET
def home(request):
    return render(request, "alliance/home.html")


class PageDetailView(DetailView):
    template_name = "alliance/page_detail.html"

    def get_queryset(self):
        return Page.objects.published()
