"""The ground every package stands on: extensions, configuration, database set-up, the clock,
mail, security headers, error pages, reference data and template filters.

Nothing here imports from the platform's other packages.
"""
