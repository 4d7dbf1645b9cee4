prefix = "telemetry"
