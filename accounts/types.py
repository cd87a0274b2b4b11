"""Names for type annotations: who is using the app.

- `User`: a person who has logged in (the project's user model). Annotate a service's or
  selector's `user` argument with it, never with `Any`.
- `AnyUser`: what `request.user` is before anything checked the login (a `User` or Django's
  `AnonymousUser`); the scope questions in `accounts.scope` accept it.
- `AuthenticatedHttpRequest`: the request a view behind login sees, whose `request.user` is a
  `User`. For annotations only: Django hands every view an ordinary `HttpRequest`.
"""

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest

from accounts.models import User

__all__ = ["AnyUser", "AuthenticatedHttpRequest", "User"]

AnyUser = User | AnonymousUser


class AuthenticatedHttpRequest(HttpRequest):
    user: User
