from django.urls import path

from practice.views import clients, sessions

app_name = "practice"

urlpatterns = [
    path("clients/", clients.client_list, name="client_list"),
    path("sessions/", sessions.session_list, name="session_list"),
]
