"""The registry's catalogue: models, datasets and the training job queue in one database
(SQLite by default, PostgreSQL when ``DATABASE_URL`` says so).

The registry serves it to users (``services.registry``); the trainer claims jobs from its
queue, reads datasets and registers the models it trains (``services.trainer``). Both
reach the tables only through the repositories here, so the SQL and the schema's
migrations have one home.
"""
