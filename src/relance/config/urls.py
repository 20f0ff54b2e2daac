from django.contrib import admin
from django.urls import path
from django.views.generic import RedirectView

urlpatterns = [
    path("admin/", admin.site.urls),
    # Until the collector's workspace lands, the admin is the web app.
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
]
