"""One spider per source: practices (websites), nppes (NPI Registry API), cms (national file)."""
