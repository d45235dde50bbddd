"""Loaders: turn a report file into the report document and store it.

    file ─decode─▶ text ─source─▶ blocks ─sections─▶ tables ─labels+values─▶ cells
         ─identities─▶ findings ─metadata─▶ report document ─store─▶ database

Each stage is a small pure function in its own module; ``loaders.document`` chains
them and ``ogi parse --explain`` prints what each found."""

PARSER_VERSION = "1.0"
