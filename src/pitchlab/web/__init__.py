"""The web app: server-rendered pages (Jinja2, htmx where it helps) for reps, admins and operators.

Pages call the same services as the API, so every rule lives once. A browser signs in with the
API's own tokens, kept in HttpOnly cookies (``web.session``); every form carries a CSRF token
(``web.csrf``). ``web.routing.WebRoute`` turns what the services raise into pages: a refused form
is shown again with its message, a missing sign-in goes to the login page.
"""
