"""The web layer: the request's database connection, logins, CSRF and headers, error pages,
templating, compression and the built site served at `/`. The blueprints are in `views/`."""
