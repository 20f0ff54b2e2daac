from django.urls import path

from relance.api.main import api

urlpatterns = [path("", api.urls)]
