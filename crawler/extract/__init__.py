"""Pure extraction functions: HTML, NPI API bodies and CMS rows in; people, places and evidence out."""
