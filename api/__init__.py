"""The /v1 REST API (Flask). Built in the API issue; the loaders and models are its base."""
