from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("relance.api.urls")),
    path("p/", include("relance.apps.portal.urls")),
    path("", include("relance.apps.workspace.urls")),
]
