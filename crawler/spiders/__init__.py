"""One spider per source: practices (websites), nppes (NPI Registry API), cms (national file),
directory (public listing pages read through a config)."""
