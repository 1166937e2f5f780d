"""Developer tooling: local brokers, topic provisioning, the pytest plugin, the `hub` CLI and runner."""
