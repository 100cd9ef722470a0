package tools

import "github.com/mrswarm/mrswarm/sql/store"

// Marketing channel tools: ad spend and its funnel (impressions → clicks →
// conversions) per channel, campaign or any other role.

// channelDims are the roles channel tools can group by, best default first.
var channelDims = []store.Role{store.RoleChannel, store.RoleCampaign, store.RoleRegion, store.RoleCountry,
	store.RoleBrand, store.RoleCategory, store.RoleStore}

// channelPerformance reports spend efficiency per group and period.
var channelPerformance = tool{
	Spec: Spec{Name: "channel_performance", RequiredRoles: []store.Role{store.RoleSpend},
		Description: "Per channel (or campaign, region, any role) and optional period: spend, impressions, clicks, conversions, revenue, " +
			"CTR, CPC, CPM, CPA, conversion rate, ROAS (all ratios of sums), share of spend vs share of conversions and their gap."},
	params: []param{
		enumParam("by", "Column role to group by, or overall.", rolesOf(channelDims, "overall"), "channel"),
		bucketParam(),
		enumParam("sort_by", "Metric that ranks the groups within a period.",
			fixed("spend", "revenue", "conversions", "roas", "cpa"), "spend"),
		topN("How many groups to return per period.", 500, 50),
	},
}

// funnel reports the stage counts and rates from impressions to conversions.
var funnel = tool{
	Spec: Spec{Name: "funnel",
		RequiredRoles: []store.Role{store.RoleImpressions, store.RoleClicks, store.RoleConversions},
		Description: "Funnel impressions → clicks → conversions per channel (or any role, or overall): each stage's count, " +
			"rate from the previous stage and from the top, and the drop-off between stages."},
	params: []param{
		enumParam("by", "Column role to group by, or overall.", rolesOf(channelDims, "overall"), "channel", "overall"),
		topN("How many groups to return (largest by impressions).", 500, 50),
	},
}

// bucketParam is the optional period of channel_performance.
func bucketParam() param {
	return enumParam("bucket", "Period to split by (none for the whole range).", func(e *env) []string {
		if !e.has(store.RoleDate) {
			return []string{"none"}
		}
		return []string{"none", "day", "week", "month", "quarter"}
	}, "none")
}
