"""innov's application layer: settings, Redis services, Slack wiring, runners and the CLI."""
