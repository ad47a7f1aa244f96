"""The database as a resource: settings, engines and pools, the project-local cluster, the
migrations runner, backup and restore, the API role's privileges, API key storage, logging set-up.
Imports nothing of ours but models/ (docs/architecture.md)."""
