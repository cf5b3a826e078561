from django.urls import path

from practice.views import account

app_name = "account"

urlpatterns = [
    path("", account.account, name="account"),
    path("default-office/", account.default_office, name="default_office"),
    path("two-step/", account.mfa_verify, name="mfa_verify"),
    path("two-step/set-up/", account.mfa_enrol, name="mfa_enrol"),
    path("two-step/recovery-codes/", account.mfa_recovery_codes, name="mfa_recovery_codes"),
    path("two-step/turn-off/", account.mfa_disable, name="mfa_disable"),
    path("sign-ins/", account.signin_list, name="signin_list"),
    path("sign-ins/unlock/", account.signin_unlock, name="signin_unlock"),
    path("sign-ins/reset-two-step/", account.mfa_reset, name="mfa_reset"),
]
