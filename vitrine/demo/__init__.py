"""The demo: a working store on a fresh machine (``manage.py demo``). It sits on top and may use every app."""
