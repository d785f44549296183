package storerow

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/sccbot/sccbot/bot"
)

// Request is an action request encoded for the requests table.
type Request struct {
	ID, Finding, Action, Reason                string
	DryRun                                     int64
	RequestedBy, RequestedAt, ExpiresAt, State string
	DecidedBy, DecidedAt, FinishedAt           string
	Result, Error, Channel, TS                 string
}

// NewRequest encodes r. Identity fields must be usable as given; other
// text is made valid UTF-8 the way encoding/json does it.
func NewRequest(r bot.ActionRequest) (Request, error) {
	if r.ID == "" || r.Finding == "" || r.Action == "" {
		return Request{}, bot.Errorf(bot.EInvalid, "request needs an id, a finding and an action")
	}
	if !validState(r.State) {
		return Request{}, bot.Errorf(bot.EInvalid, "request %q has unknown state %q", r.ID, r.State)
	}
	row := Request{
		ID: r.ID, Finding: r.Finding, Action: ValidText(r.Action), Reason: ValidText(r.Reason),
		RequestedBy: ValidText(r.RequestedBy), State: string(r.State), DecidedBy: ValidText(r.DecidedBy),
		Error: ValidText(r.Error), Channel: ValidText(r.Message.Channel), TS: ValidText(r.Message.TS),
	}
	if r.DryRun {
		row.DryRun = 1
	}
	var err error
	for _, tm := range []struct {
		dst  *string
		what string
		t    time.Time
	}{
		{&row.RequestedAt, "requested at", r.RequestedAt}, {&row.ExpiresAt, "expires at", r.ExpiresAt},
		{&row.DecidedAt, "decided at", r.DecidedAt}, {&row.FinishedAt, "finished at", r.FinishedAt},
	} {
		if *tm.dst, err = EncodeTime("request "+tm.what, tm.t); err != nil {
			return Request{}, err
		}
	}
	result, err := json.Marshal(r.Result)
	if err != nil {
		return Request{}, fmt.Errorf("encode result of request %q: %w", r.ID, err)
	}
	row.Result = string(result)
	return row, nil
}

// validState reports whether s is one of the domain's request states.
func validState(s bot.RequestState) bool {
	return s == bot.RequestPending || s == bot.RequestRunning || s.Final()
}

// Decode turns a stored row back into a request.
func (row Request) Decode() (bot.ActionRequest, error) {
	r := bot.ActionRequest{
		ID: row.ID, Finding: row.Finding, Action: row.Action, Reason: row.Reason, DryRun: row.DryRun != 0,
		RequestedBy: row.RequestedBy, State: bot.RequestState(row.State), DecidedBy: row.DecidedBy,
		Error: row.Error, Message: bot.MessageRef{Channel: row.Channel, TS: row.TS},
	}
	var err error
	for _, tm := range []struct {
		dst *time.Time
		s   string
	}{
		{&r.RequestedAt, row.RequestedAt}, {&r.ExpiresAt, row.ExpiresAt},
		{&r.DecidedAt, row.DecidedAt}, {&r.FinishedAt, row.FinishedAt},
	} {
		if *tm.dst, err = ParseTime(tm.s); err != nil {
			return bot.ActionRequest{}, fmt.Errorf("request %q: %w", row.ID, err)
		}
	}
	if err := json.Unmarshal([]byte(row.Result), &r.Result); err != nil {
		return bot.ActionRequest{}, fmt.Errorf("decode result of request %q: %w", row.ID, err)
	}
	return r, nil
}

// nextStates are the states a request in s may move to.
func nextStates(s bot.RequestState) []bot.RequestState {
	switch s {
	case bot.RequestPending:
		return []bot.RequestState{bot.RequestRunning, bot.RequestDenied, bot.RequestExpired}
	case bot.RequestRunning:
		return []bot.RequestState{bot.RequestDone, bot.RequestFailed}
	}
	return nil
}

// CheckTransitions fails with EInvalid unless every from → to is allowed.
func CheckTransitions(from []bot.RequestState, to bot.RequestState) error {
	if len(from) == 0 {
		return bot.Errorf(bot.EInvalid, "transition to %q names no state to leave", to)
	}
	for _, f := range from {
		if !slices.Contains(nextStates(f), to) {
			return bot.Errorf(bot.EInvalid, "a request cannot move from %q to %q", f, to)
		}
	}
	return nil
}

// Next is the request cur becomes when it moves to state to: update (if
// not nil) edits a copy, and then whatever must never change (id, finding,
// action, requester, request time) is put back.
func Next(cur bot.ActionRequest, to bot.RequestState, update func(*bot.ActionRequest)) bot.ActionRequest {
	next := cur
	next.Result.Details = slices.Clone(cur.Result.Details)
	if update != nil {
		update(&next)
	}
	next.ID, next.Finding, next.Action = cur.ID, cur.Finding, cur.Action
	next.RequestedBy, next.RequestedAt = cur.RequestedBy, cur.RequestedAt
	next.State = to
	return next
}
