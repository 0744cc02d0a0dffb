"""The `masthead` command line, one module per group of commands, and the production server it
starts (Granian workers over the app, the scheduler beside them).

Sits on top: may import every other part of the service.
"""
