"""Auth's HTTP side: the access guard every route declares, sign-in and admin routes."""
