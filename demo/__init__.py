"""The demo data (`manage.py seed_demo`, `make run`): a believable, fictional Kochi caseload,
one module per app it fills, in the order of `DEMO_STEPS`
(demo/management/commands/seed_demo.py).

Not app code: it imports the apps (their models and services) and no app imports it
(tests/test_imports.py). It is an installed app only so that Django finds its two commands,
`seed_demo` and `demo_totp`; it has no models.
"""
