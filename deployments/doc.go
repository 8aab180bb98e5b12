// Package deployments holds the deployment files of tenesa-ivr: asterisk/
// (the PBX side), prometheus/ and grafana/ (metrics), compose/ (two
// controllers, Redis Sentinel, Prometheus, Grafana on Docker Compose) and
// kubernetes/ (Deployment, PodDisruptionBudget, ConfigMap, Secret, Service).
// Its tests parse compose/ and kubernetes/ and cross-check them with the
// code: environment variables the config loader reads, ports it listens on,
// the health endpoints it serves, the drain grace, the names the files refer
// to and the Prometheus targets.
package deployments
