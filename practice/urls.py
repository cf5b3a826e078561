from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from practice import views
from practice.views import appointments

admin.site.site_header = "SessionLedger administration"
admin.site.site_title = "SessionLedger admin"
admin.site.index_title = "Catalog, payers, fees and users"

handler400 = "practice.views.bad_request"

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("account/", include("practice.account_urls")),
    path("admin/", admin.site.urls),
    path("practice/", include("practice.practice_urls")),
    path("billing/", include("billing.urls")),
    # The one page without a login: its secret token is the key (practice/calendar.py).
    path("calendar/<str:token>.ics", appointments.calendar_feed, name="calendar_feed"),
]
