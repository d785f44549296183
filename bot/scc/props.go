package scc

import (
	"strings"

	"cloud.google.com/go/securitycenter/apiv2/securitycenterpb"
)

// stringProp returns a source property's string value, or "".
func stringProp(f *securitycenterpb.Finding, key string) string {
	return f.GetSourceProperties()[key].GetStringValue()
}

// exactProp returns the value of the first key (case-insensitively) found in
// the source properties or container labels.
func exactProp(f *securitycenterpb.Finding, keys ...string) string {
	return bestProp(f, func(k string) (int, bool) {
		for i, want := range keys {
			if strings.EqualFold(k, want) {
				return i, true
			}
		}
		return 0, false
	})
}

// liberalProp finds a value whose key mentions word, e.g. Revision_Name,
// run.googleapis.com/revision or revision_name for "revision". Keys that end
// with the word (or word + name) rank first; ties go to the smaller key so
// that the choice does not depend on map order.
func liberalProp(f *securitycenterpb.Finding, word string) string {
	return bestProp(f, func(k string) (int, bool) {
		lk := strings.ToLower(k)
		if !strings.Contains(lk, word) {
			return 0, false
		}
		// These mark keys that mention the word without naming one, e.g.
		// run.googleapis.com/execution-environment: gen2.
		for _, n := range [...]string{"environment", "uid", "count", "time", "generation"} {
			if strings.Contains(lk, n) {
				return 0, false
			}
		}
		rest := strings.TrimLeft(lk[strings.LastIndex(lk, word)+len(word):], "_-.")
		if rest == "" || rest == "name" || rest == "id" {
			return 0, true
		}
		return 1, true
	})
}

// bestProp scans string-valued source properties and container labels and
// returns the non-empty value whose key ranks lowest.
func bestProp(f *securitycenterpb.Finding, rank func(key string) (int, bool)) string {
	var best, bestKey string
	bestRank := -1
	consider := func(k, v string) {
		if v == "" {
			return
		}
		r, ok := rank(k)
		if !ok {
			return
		}
		if bestRank < 0 || r < bestRank || (r == bestRank && k < bestKey) {
			best, bestKey, bestRank = v, k, r
		}
	}
	for k, v := range f.GetSourceProperties() {
		consider(k, v.GetStringValue())
	}
	for _, c := range f.GetContainers() {
		for _, l := range c.GetLabels() {
			consider(l.GetName(), l.GetValue())
		}
	}
	return best
}
