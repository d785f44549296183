package scc

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	securitycenter "cloud.google.com/go/securitycenter/apiv2"
	"cloud.google.com/go/securitycenter/apiv2/securitycenterpb"
	"google.golang.org/api/iterator"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/internal/grpcerr"
	"github.com/sccbot/sccbot/internal/retry"
)

// Client defaults.
const (
	DefaultCallTimeout   = 20 * time.Second
	DefaultAttempts      = 3
	DefaultMaxRelated    = 500
	DefaultRelatedWindow = 24 * time.Hour
	// relatedPageSize is the ListFindings page size of Related.
	relatedPageSize = 200
	firstBackoff    = 500 * time.Millisecond
	maxBackoff      = 10 * time.Second
)

// ClientOptions configures a Client. Every field is optional.
type ClientOptions struct {
	Logger *slog.Logger
	// Limits bound each RPC (one page of a listing) and how often a call
	// is made when SCC is unavailable or too slow; defaults
	// DefaultCallTimeout, DefaultAttempts and DefaultBackoff.
	retry.Limits
	// Now centres the related-findings window of a finding that carries no
	// time at all; default time.Now.
	Now func() time.Time
	// MaxRelated caps how many other findings Related reads; default
	// DefaultMaxRelated.
	MaxRelated int
}

// Client calls the SCC v2 API for the bot's buttons: related findings,
// reloading a finding, mute, state and security marks. Every error it
// returns is a *bot.Error whose message a responder can act on, except
// that the caller's own context ending is returned as the context's error.
type Client struct {
	sc       *securitycenter.Client
	opts     ClientOptions
	log      *slog.Logger
	pageSize int
}

// NewClient returns a Client that uses c.
func NewClient(c *securitycenter.Client, opts ClientOptions) *Client {
	opts.Limits = opts.Limits.Or(retry.Limits{Timeout: DefaultCallTimeout, Attempts: DefaultAttempts, Backoff: DefaultBackoff})
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.MaxRelated <= 0 {
		opts.MaxRelated = DefaultMaxRelated
	}
	return &Client{sc: c, opts: opts, log: loggerOr(opts.Logger), pageSize: relatedPageSize}
}

// DefaultBackoff waits 500 ms after the first failure and doubles each
// time, up to 10 s.
func DefaultBackoff(attempt int) time.Duration {
	return retry.Exponential(firstBackoff, maxBackoff)(attempt)
}

// call runs fn, each attempt under its own timeout, and retries transient
// failures. The caller's context ending stops it at once and is returned
// as is (wrapped), so that shutdown is not reported as an SCC fault.
func (c *Client) call(ctx context.Context, op operation, fn func(ctx context.Context) error) error {
	attempts, err := retry.Do(ctx, c.opts.Policy(grpcerr.Retryable, func(attempt int, err error, pause time.Duration) {
		c.log.Warn("scc call failed; retrying", "op", op.what, "attempt", attempt,
			"attempts", c.opts.Attempts, "code", status.Code(err).String(), "backoff", pause)
	}), fn)
	switch {
	case err == nil:
		return nil
	case ctx.Err() != nil:
		return fmt.Errorf("%s (%s): %w", op.what, op.target, ctx.Err())
	}
	return translate(err, op, attempts, c.opts.Timeout)
}

// Finding reloads a finding's current state: ListFindings on its source
// with the filter name="...". A finding SCC does not list is ENotFound.
func (c *Client) Finding(ctx context.Context, name string) (bot.Finding, error) {
	n, err := parseFindingArg(name)
	if err != nil {
		return bot.Finding{}, err
	}
	op := n.operation("read the finding", "read findings", RoleFindingsViewer)
	req := &securitycenterpb.ListFindingsRequest{
		Parent:   n.source.String(),
		Filter:   "name = " + bot.QuoteFilter(n.String()),
		PageSize: 1,
	}
	var res *securitycenterpb.ListFindingsResponse_ListFindingsResult
	err = c.call(ctx, op, func(ctx context.Context) error {
		r, err := c.sc.ListFindings(ctx, req).Next()
		if errors.Is(err, iterator.Done) {
			res = nil
			return nil
		}
		res = r
		return err
	})
	if err != nil {
		return bot.Finding{}, err
	}
	if res == nil {
		return bot.Finding{}, bot.WrapError(bot.ENotFound, op.notFound, fmt.Errorf("read the finding (%s): no result", n))
	}
	return FromListResult(res), nil
}

// SetMute mutes the finding, or unmutes it. Unmuting sets UNMUTED rather
// than UNDEFINED: a responder who unmutes a finding means it to stay
// visible, and a static UNMUTED overrides dynamic mute rules
// (Finding.MuteInfo.StaticMute), while UNDEFINED would let them mute it
// again. The returned Finding is SCC's answer, which carries no resource
// metadata: the project ID and the resource's display name are empty.
// Reload with Finding for those.
func (c *Client) SetMute(ctx context.Context, name string, muted bool) (bot.Finding, error) {
	n, err := parseFindingArg(name)
	if err != nil {
		return bot.Finding{}, err
	}
	mute := securitycenterpb.Finding_UNMUTED
	if muted {
		mute = securitycenterpb.Finding_MUTED
	}
	req := &securitycenterpb.SetMuteRequest{Name: n.String(), Mute: mute}
	var out *securitycenterpb.Finding
	op := n.operation("set the finding's mute state", "mute findings", RoleFindingsMuteSetter)
	err = c.call(ctx, op, func(ctx context.Context) (err error) {
		out, err = c.sc.SetMute(ctx, req)
		return err
	})
	if err != nil {
		return bot.Finding{}, err
	}
	return FromProto(out, nil), nil
}

// SetState makes the finding ACTIVE or INACTIVE. As with SetMute, the
// returned Finding lacks resource metadata.
func (c *Client) SetState(ctx context.Context, name string, active bool) (bot.Finding, error) {
	n, err := parseFindingArg(name)
	if err != nil {
		return bot.Finding{}, err
	}
	state := securitycenterpb.Finding_INACTIVE
	if active {
		state = securitycenterpb.Finding_ACTIVE
	}
	req := &securitycenterpb.SetFindingStateRequest{Name: n.String(), State: state}
	var out *securitycenterpb.Finding
	op := n.operation("set the finding's state", "change the state of findings", RoleFindingsStateSetter)
	err = c.call(ctx, op, func(ctx context.Context) (err error) {
		out, err = c.sc.SetFindingState(ctx, req)
		return err
	})
	if err != nil {
		return bot.Finding{}, err
	}
	return FromProto(out, nil), nil
}

// SetMarks sets the given security marks of the finding and keeps all
// others: the update mask names marks.<key> for each key. A value that is
// empty after trimming deletes its mark. See validMarkKey for the keys
// accepted. An empty map is a no-op, because an empty update mask would
// make SCC replace every mark.
func (c *Client) SetMarks(ctx context.Context, name string, marks map[string]string) error {
	n, err := parseFindingArg(name)
	if err != nil {
		return err
	}
	if len(marks) == 0 {
		return nil
	}
	req, err := marksRequest(n.String(), marks)
	if err != nil {
		return err
	}
	op := n.operation("update the finding's security marks", "set security marks on findings", RoleSecurityMarksWriter)
	return c.call(ctx, op, func(ctx context.Context) error {
		_, err := c.sc.UpdateSecurityMarks(ctx, req)
		return err
	})
}

// parseFindingArg parses a finding name passed to a Client method.
func parseFindingArg(name string) (findingName, error) {
	n, ok := parseFindingName(name)
	if !ok {
		return findingName{}, bot.WrapError(bot.EInvalid,
			"sccbot has no valid SCC name for this finding, so it cannot call SCC about it",
			fmt.Errorf("parse finding name %q: want {organizations|folders|projects}/ID/sources/ID"+
				"[/locations/L]/findings/ID", name))
	}
	return n, nil
}

// operation describes a call on this finding.
func (n findingName) operation(what, verb, role string) operation {
	return operation{what: what, verb: verb, role: role, scope: n.source.scope, target: n.String(),
		notFound: fmt.Sprintf("SCC has no finding %s: it may have been deleted, "+
			"or Security Command Center is not active under %s", n.id, n.source.scope)}
}

// sourceName is {scope}/sources/{source}/locations/{location}, where scope
// is organizations/O, folders/F or projects/P.
type sourceName struct {
	scope    string
	source   string
	location string
}

func (s sourceName) String() string {
	return s.scope + "/sources/" + s.source + "/locations/" + s.location
}

// findingName is a finding's source and ID.
type findingName struct {
	source sourceName
	id     string
}

// String spells the name with its location, as v2 does.
func (n findingName) String() string { return n.source.String() + "/findings/" + n.id }

// parseSourceName accepts {scope}/sources/S[/locations/L]; the location
// defaults to global, as in the API.
func parseSourceName(s string) (sourceName, bool) {
	segs := strings.Split(s, "/")
	if len(segs) != 4 && len(segs) != 6 {
		return sourceName{}, false
	}
	switch segs[0] {
	case "organizations", "folders", "projects":
	default:
		return sourceName{}, false
	}
	if segs[1] == "" || segs[2] != "sources" || segs[3] == "" {
		return sourceName{}, false
	}
	n := sourceName{scope: segs[0] + "/" + segs[1], source: segs[3], location: "global"}
	if len(segs) == 6 {
		if segs[4] != "locations" || segs[5] == "" {
			return sourceName{}, false
		}
		n.location = segs[5]
	}
	return n, true
}

func parseFindingName(s string) (findingName, bool) {
	src, id, ok := strings.Cut(s, "/findings/")
	if !ok || id == "" || strings.Contains(id, "/") {
		return findingName{}, false
	}
	n, ok := parseSourceName(src)
	if !ok {
		return findingName{}, false
	}
	return findingName{source: n, id: id}, true
}

// sameFinding compares names in their located form, so that a v1-style
// name without /locations/ equals its v2 spelling.
func sameFinding(a, b string) bool {
	na, oka := parseFindingName(a)
	nb, okb := parseFindingName(b)
	if oka && okb {
		return na == nb
	}
	return a == b
}

// Security mark limits. SCC accepts keys of 1 to 256 letters, digits,
// underscores or dashes and treats them case-insensitively; values are
// trimmed and then hold 1 to 4096 characters (securitycenterpb.SecurityMarks).
const (
	maxMarkKey   = 256
	maxMarkValue = 4096
)

// marksRequest builds an UpdateSecurityMarks request that touches only the
// given keys, in sorted order so that requests are reproducible.
func marksRequest(name string, marks map[string]string) (*securitycenterpb.UpdateSecurityMarksRequest, error) {
	keys := slices.Sorted(maps.Keys(marks))
	seen := make(map[string]string, len(keys))
	set := make(map[string]string, len(keys))
	paths := make([]string, 0, len(keys))
	for _, k := range keys {
		if err := validMarkKey(k); err != nil {
			return nil, err
		}
		if prev, dup := seen[strings.ToLower(k)]; dup {
			return nil, bot.Errorf(bot.EInvalid, "security marks %q and %q are the same mark: SCC ignores case in keys", prev, k)
		}
		seen[strings.ToLower(k)] = k
		v := strings.TrimSpace(marks[k])
		if utf8.RuneCountInString(v) > maxMarkValue {
			return nil, bot.Errorf(bot.EInvalid, "security mark %q is longer than SCC's %d characters", k, maxMarkValue)
		}
		if v != "" {
			set[k] = v
		}
		paths = append(paths, "marks."+k)
	}
	return &securitycenterpb.UpdateSecurityMarksRequest{
		SecurityMarks: &securitycenterpb.SecurityMarks{Name: name + "/securityMarks", Marks: set},
		UpdateMask:    &fieldmaskpb.FieldMask{Paths: paths},
	}, nil
}

// validMarkKey accepts 1 to 256 ASCII letters, digits and underscores. SCC
// also allows dashes, but a dash in the update mask path marks.<key> is
// outside field-mask syntax (AIP-161 would want the key in backquotes, and
// SCC does not document whether it accepts that), so the bot does not use
// them.
func validMarkKey(k string) error {
	ok := k != "" && len(k) <= maxMarkKey
	for i := 0; ok && i < len(k); i++ {
		c := k[i]
		ok = c == '_' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
	}
	if !ok {
		return bot.Errorf(bot.EInvalid, "security mark key %q is not valid: use 1 to %d letters, digits or underscores",
			k, maxMarkKey)
	}
	return nil
}
