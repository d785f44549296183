// Package pagerduty pages people through the PagerDuty Events API v2. It is
// a small net/http client written for this bot rather than go-pagerduty:
// that library's package-level function cannot be pointed at a test
// server, and its Client reads an Events API 400 as a REST API error and
// so loses PagerDuty's message and errors (see ../shared/notes/gcp.md §4).
//
// One finding is one PagerDuty alert: the dedup key is the finding's name,
// so a second page of the same finding merges into the open alert instead
// of paging again, and resolving the finding resolves the alert.
//
// The routing key is a secret. The Client holds it, puts it in the request
// body and nowhere else: not in logs, not in errors (text PagerDuty sends
// back is scrubbed of it before it is shown), not in the Event type.
//
// Everything taken from a finding is attacker-controlled. It reaches
// PagerDuty only inside JSON strings, stripped of control and format
// characters (so a category cannot forge lines or reorder text in a
// PagerDuty notification) and cut to PagerDuty's limits.
package pagerduty
