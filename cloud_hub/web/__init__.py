"""The live location map and the manager dashboard: pages, their data endpoints, and a site
generator for demos, tests and the benchmark."""
