from django.urls import path

from practice import views

app_name = "practice"

urlpatterns = [
    path("clients/", views.client_list, name="client_list"),
    path("sessions/", views.session_list, name="session_list"),
]
