"""The one router of the partner API, mounted at /api/v1/.

Each app contributes read-only viewsets from its own `api.py`.
"""

from rest_framework.routers import DefaultRouter

router = DefaultRouter()
