package server

import (
	"net/http"

	"github.com/mrswarm/mrswarm/internal/profiling"
)

// startProfiling starts the configured pkg/profile profile and the pprof admin
// listener (which serves metrics at /metrics too); the returned function stops both (the profile is written then).
func startProfiling(cfg Config, metrics http.Handler) (stop func(), err error) {
	stopProfile, err := profiling.StartProfile(cfg.Profile, cfg.ProfileDir)
	if err != nil {
		return nil, err
	}
	if cfg.AdminAddr == "" {
		return stopProfile, nil
	}
	addr, stopAdmin, err := profiling.ServeAdmin(cfg.AdminAddr, metrics)
	if err != nil {
		stopProfile()
		return nil, err
	}
	cfg.Logger.Info("admin serving pprof and metrics (no token: keep it on loopback)", "pprof", "http://"+addr+"/debug/pprof/", "metrics", "http://"+addr+"/metrics")
	return func() {
		stopAdmin()
		stopProfile()
	}, nil
}
