from django.urls import path
from django.views.generic import RedirectView

app_name = "workspace"

urlpatterns = [
    # Until the workspace pages land, the admin is the web app.
    path("", RedirectView.as_view(url="/admin/", permanent=False), name="home"),
]
