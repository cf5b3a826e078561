from django.urls import path

from practice.views import appointments, audit, clients, sessions

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
    path("sessions/ready/", sessions.session_ready, name="session_ready"),
    path("sessions/<int:pk>/", sessions.session_detail, name="session_detail"),
    path("sessions/<int:pk>/edit/", sessions.session_edit, name="session_edit"),
    path("sessions/<int:pk>/status/", sessions.session_status, name="session_status"),
    path("sessions/<int:pk>/delete/", sessions.session_delete, name="session_delete"),
    path("audit/", audit.audit_list, name="audit_list"),
    path("day/", appointments.day, name="day"),
    path("week/", appointments.week, name="week"),
    path("appointments/new/", appointments.appointment_create, name="appointment_create"),
    path("appointments/<int:pk>/edit/", appointments.appointment_edit, name="appointment_edit"),
    path(
        "appointments/<int:pk>/attended/",
        appointments.appointment_attend,
        name="appointment_attend",
    ),
    path(
        "appointments/<int:pk>/no-show/",
        appointments.appointment_no_show,
        name="appointment_no_show",
    ),
    path(
        "appointments/<int:pk>/late-cancel/",
        appointments.appointment_late_cancel,
        name="appointment_late_cancel",
    ),
    path(
        "appointments/<int:pk>/cancel/", appointments.appointment_cancel, name="appointment_cancel"
    ),
    path("appointments/<int:pk>/undo/", appointments.appointment_reopen, name="appointment_reopen"),
    path("calendar-address/", appointments.calendar_token, name="calendar_token"),
]
