from django.contrib.auth import views as auth_views
from django.shortcuts import render


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


def lockout_response(request, credentials=None, *args, **kwargs):
    return render(request, "accounts/locked.html", status=429)
