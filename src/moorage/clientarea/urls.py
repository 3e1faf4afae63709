"""Client area URLs."""

from django.urls import path

from moorage.clientarea import views

app_name = "clientarea"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
]
