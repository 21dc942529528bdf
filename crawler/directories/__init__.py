"""Public directories read through a config of CSS selectors (the `directory` spider's pure
parts): config.py validates the config file, entries.py turns a listing page into entries and
PractitionerItems. Neither imports index or search_web."""
