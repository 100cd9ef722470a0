package server

import "github.com/mrswarm/mrswarm/internal/profiling"

// startProfiling starts the configured pkg/profile profile and the pprof admin
// listener; the returned function stops both (the profile is written then).
func startProfiling(cfg Config) (stop func(), err error) {
	stopProfile, err := profiling.StartProfile(cfg.Profile, cfg.ProfileDir)
	if err != nil {
		return nil, err
	}
	if cfg.AdminAddr == "" {
		return stopProfile, nil
	}
	addr, stopAdmin, err := profiling.ServeAdmin(cfg.AdminAddr)
	if err != nil {
		stopProfile()
		return nil, err
	}
	cfg.Logger.Info("pprof admin serving", "url", "http://"+addr+"/debug/pprof/")
	return func() {
		stopAdmin()
		stopProfile()
	}, nil
}
