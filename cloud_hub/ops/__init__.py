"""What operators see of a hub process: Prometheus metrics, GC pause tuning, /healthz and
/metrics."""
