package metrics

// The controller's health endpoints, served on metrics.listen beside the
// metrics (metrics.path). Deployments probe them: deployments/ tests check
// their probes against these.
const (
	// HealthzPath answers 200 while the process runs (liveness).
	HealthzPath = "/healthz"
	// ReadyzPath answers 200 while connected to ARI and not draining, else
	// 503 (readiness).
	ReadyzPath = "/readyz"
)
