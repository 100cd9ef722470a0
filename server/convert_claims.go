package server

import (
	"github.com/mrswarm/mrswarm/pipeline"
	mrswarmv1 "github.com/mrswarm/mrswarm/proto/mrswarm/v1"
)

// claimsToProto converts a run's report claim counts.
func claimsToProto(c pipeline.ClaimCounts) *mrswarmv1.ClaimCounts {
	return &mrswarmv1.ClaimCounts{Verified: int32(c.Verified), PartlyVerified: int32(c.PartlyVerified),
		Unverified: int32(c.Unverified), NoNumbers: int32(c.NoNumbers)}
}
