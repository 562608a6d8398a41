"""Ways to hand logwatch's figures to other systems (Prometheus)."""
