from django.urls import path

from practice.views import audit, clients, sessions

app_name = "practice"

urlpatterns = [
    path("clients/", clients.client_list, name="client_list"),
    path("clients/new/", clients.client_create, name="client_create"),
    path("clients/<int:pk>/", clients.client_detail, name="client_detail"),
    path("clients/<int:pk>/edit/", clients.client_edit, name="client_edit"),
    path("diagnoses/search/", clients.diagnosis_search, name="diagnosis_search"),
    path("sessions/", sessions.session_list, name="session_list"),
    path("sessions/new/", sessions.session_create, name="session_create"),
    path("sessions/suggest/", sessions.session_suggest, name="session_suggest"),
    path("sessions/<int:pk>/", sessions.session_detail, name="session_detail"),
    path("sessions/<int:pk>/edit/", sessions.session_edit, name="session_edit"),
    path("sessions/<int:pk>/status/", sessions.session_status, name="session_status"),
    path("sessions/<int:pk>/delete/", sessions.session_delete, name="session_delete"),
    path("audit/", audit.audit_list, name="audit_list"),
]
