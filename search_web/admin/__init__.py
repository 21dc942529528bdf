"""The back office mounted at /admin (see app.create_admin_app): review queue, listing decisions,
crawl dashboard, users. Imports index, never crawler."""
