"""Flask entrypoints that are not Dash: sign-in, health, and later the APIs. They only translate."""
