"""Route handlers: public.py (patient pages) and api.py (JSON under /api); app.py lists the routes."""
