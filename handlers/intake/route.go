package intake

import (
	"path"
	"slices"
	"strings"
	"time"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/handlers"
)

// Route sends findings that match to a channel.
type Route struct {
	Name    string
	Channel string
	Match   Match
	// Group says how the route's findings are grouped; nil takes the
	// router's default.
	Group *GroupRule
}

// GroupRule groups bursts of similar findings on one card.
type GroupRule struct {
	// By names the fields of the group key (see GroupKey). Findings with
	// the same key group together.
	By []string
	// Window: a finding joins a group whose latest finding is at most this
	// older; zero turns grouping off.
	Window time.Duration
	// Repeat: a group still active this long after its card was posted
	// gets a fresh card, so it surfaces again in the channel.
	Repeat time.Duration
}

// Decision is where a finding goes and how it groups.
type Decision struct {
	Channel string
	Route   string
	Group   GroupRule
}

// Match is a route's conditions. Every non-empty condition must hold; an
// empty Match matches every finding.
type Match struct {
	Severities  []bot.Severity
	MinSeverity bot.Severity
	// Categories are compared case-insensitively with whitespace folded,
	// because SCC's own spelling varies between products and pages.
	Categories []string
	// Projects are project IDs or path.Match globs ("team-*").
	Projects []string
	Products []bot.Product
	// Classes are finding classes such as THREAT.
	Classes []string
}

// Router picks the channel for a finding: the first route that matches,
// else the default channel.
type Router struct {
	routes         []compiledRoute
	defaultChannel string
	defaultGroup   GroupRule
}

type compiledRoute struct {
	Route
	categories map[string]bool
}

// NewRouter compiles routes. Order matters: the first match wins.
func NewRouter(defaultChannel string, routes []Route) *Router {
	return NewGroupingRouter(defaultChannel, GroupRule{}, routes)
}

// NewGroupingRouter is NewRouter with the group rule of routes that set
// none, and of the default channel.
func NewGroupingRouter(defaultChannel string, group GroupRule, routes []Route) *Router {
	r := &Router{defaultChannel: defaultChannel, defaultGroup: group}
	for _, rt := range routes {
		c := compiledRoute{Route: rt}
		if len(rt.Match.Categories) > 0 {
			c.categories = map[string]bool{}
			for _, cat := range rt.Match.Categories {
				c.categories[FoldCategory(cat)] = true
			}
		}
		r.routes = append(r.routes, c)
	}
	return r
}

// Route returns the channel for f and the name of the route that chose it
// ("default" when none matched).
func (r *Router) Route(f bot.Finding) (channel, route string) {
	d := r.Decide(f)
	return d.Channel, d.Route
}

// Decide returns where f goes and how it groups.
func (r *Router) Decide(f bot.Finding) Decision {
	for _, rt := range r.routes {
		if rt.matches(f) {
			g := r.defaultGroup
			if rt.Group != nil {
				g = *rt.Group
			}
			return Decision{Channel: rt.Channel, Route: rt.Name, Group: g}
		}
	}
	return Decision{Channel: r.defaultChannel, Route: "default", Group: r.defaultGroup}
}

func (c compiledRoute) matches(f bot.Finding) bool {
	m := c.Match
	if len(m.Severities) > 0 && !slices.Contains(m.Severities, f.Severity) {
		return false
	}
	if m.MinSeverity != bot.SeverityUnspecified && f.Severity < m.MinSeverity {
		return false
	}
	if c.categories != nil && !c.categories[FoldCategory(f.Category)] {
		return false
	}
	if len(m.Projects) > 0 && !matchProject(m.Projects, f.Project()) {
		return false
	}
	if len(m.Products) > 0 && !slices.Contains(m.Products, handlers.ProductOf(f)) {
		return false
	}
	if len(m.Classes) > 0 && !containsFold(m.Classes, f.Class) {
		return false
	}
	return true
}

// FoldCategory normalises a category for comparison: lower case, runs of
// whitespace collapsed to one space, ends trimmed.
func FoldCategory(s string) string {
	return strings.ToLower(strings.Join(strings.Fields(s), " "))
}

func matchProject(patterns []string, project string) bool {
	for _, p := range patterns {
		if ok, err := path.Match(p, project); err == nil && ok {
			return true
		}
	}
	return false
}

func containsFold(list []string, v string) bool {
	for _, x := range list {
		if strings.EqualFold(x, v) {
			return true
		}
	}
	return false
}
