"""The skinmap web: patient pages and the public JSON API over the index (see app.create_app)."""
