from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("keepalive/", views.keepalive, name="keepalive"),
    path("password/", views.password_change, name="password_change"),
    path("password/done/", views.password_change_done, name="password_change_done"),
    path("otp/", views.otp_settings, name="otp_settings"),
    path("preferences/", views.preferences, name="preferences"),
    path("otp/enrol/", views.otp_enrol, name="otp_enrol"),
    path("otp/verify/", views.otp_verify, name="otp_verify"),
    path("otp/disable/", views.otp_disable, name="otp_disable"),
]
