"""The back office's pages, one module per group (login, listings, crawls, users); the routes are
listed in search_web.admin.app."""
