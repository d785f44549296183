package slack

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	goslack "github.com/slack-go/slack"

	"github.com/sccbot/sccbot/bot"
)

// DirectoryAPI is the part of slack-go's client the Directory uses.
type DirectoryAPI interface {
	GetUserGroupMembersContext(ctx context.Context, userGroup string, options ...goslack.GetUserGroupMembersOption) ([]string, error)
	GetUserInfoContext(ctx context.Context, user string, options ...goslack.GetUserInfoOption) (*goslack.User, error)
	GetUserByEmailContext(ctx context.Context, email string) (*goslack.User, error)
	OpenConversationContext(ctx context.Context, params *goslack.OpenConversationParameters) (*goslack.Channel, bool, bool, error)
}

// Directory answers who people are and which user groups they belong to,
// for deciding who may request or approve a response, and reaches people
// by direct message. Answers are cached briefly (membership changes must
// take effect within a minute or so, and usergroups.users.list is Tier 2);
// failures are never cached and always returned, so that callers fail
// closed: an approver who cannot be verified is not an approver.
type Directory struct {
	api    DirectoryAPI
	outbox *Outbox
	opts   DirectoryOptions
	log    *slog.Logger

	groups *ttlCache[[]string]
	users  *ttlCache[UserInfo]
	emails *ttlCache[emailAnswer]
}

// DirectoryOptions tune a Directory.
type DirectoryOptions struct {
	// TTL is how long answers are kept (default 60s).
	TTL time.Duration
	// RequestTimeout bounds each Slack call (default 10s).
	RequestTimeout time.Duration
	// MaxEntries bounds each cache (default 5000).
	MaxEntries int
	// TeamID is passed to usergroups.users.list; Slack requires it with
	// org-wide (Enterprise Grid) tokens.
	TeamID string
	Logger *slog.Logger
	// Clock is for tests; nil means real time.
	Clock Clock
}

// UserInfo is what the bot needs to know about a Slack user to decide
// whether they may act.
type UserInfo struct {
	ID string
	// Name is the user's real name, else their handle.
	Name    string
	Deleted bool
	Bot     bool
	// Guest is true for multi- and single-channel guests
	// (is_restricted, is_ultra_restricted).
	Guest  bool
	TeamID string
}

type emailAnswer struct {
	userID string
	found  bool
}

// NewDirectory returns a Directory asking Slack through api. Direct
// messages are posted through outbox, so they are paced and retried like
// any other post.
func NewDirectory(api DirectoryAPI, outbox *Outbox, opts DirectoryOptions) *Directory {
	if opts.TTL <= 0 {
		opts.TTL = time.Minute
	}
	if opts.RequestTimeout <= 0 {
		opts.RequestTimeout = 10 * time.Second
	}
	if opts.MaxEntries <= 0 {
		opts.MaxEntries = 5000
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Clock == nil {
		opts.Clock = realClock{}
	}
	now := opts.Clock.Now
	return &Directory{api: api, outbox: outbox, opts: opts, log: opts.Logger,
		groups: newTTLCache[[]string](opts.TTL, opts.MaxEntries, now),
		users:  newTTLCache[UserInfo](opts.TTL, opts.MaxEntries, now),
		emails: newTTLCache[emailAnswer](opts.TTL, opts.MaxEntries, now),
	}
}

// callContext is the context of one Slack call made on behalf of the
// caller whose ctx is given: it keeps the caller's values but not its
// cancellation (other callers may share the call), and has its own
// deadline.
func (d *Directory) callContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), d.opts.RequestTimeout)
}

// Members returns the active members of a user group (S…).
func (d *Directory) Members(ctx context.Context, groupID string) ([]string, error) {
	if !groupIDPattern.MatchString(groupID) {
		return nil, invalidID("user group", groupID)
	}
	members, err := d.groups.get(ctx, groupID, func() ([]string, error) {
		ctx, cancel := d.callContext(ctx)
		defer cancel()
		opts := []goslack.GetUserGroupMembersOption{goslack.GetUserGroupMembersOptionIncludeDisabled(false)}
		if d.opts.TeamID != "" {
			opts = append(opts, goslack.GetUserGroupMembersOptionTeamID(d.opts.TeamID))
		}
		members, err := d.api.GetUserGroupMembersContext(ctx, groupID, opts...)
		d.count("usergroups.users.list", err)
		return members, err
	})
	if err != nil {
		return nil, fmt.Errorf("members of user group %s: %w", groupID, directoryError("usergroups.users.list", groupID, err))
	}
	return slices.Clone(members), nil
}

// ForgetGroup drops a group's cached members, for when Slack says they
// changed (the subteam_members_changed event).
func (d *Directory) ForgetGroup(groupID string) { d.groups.forget(groupID) }

// IsMember reports whether userID is principal: the same user when
// principal is a user id (U…, W…), a member when it is a user group (S…).
// An error means the answer is unknown, and callers must treat it as no.
func (d *Directory) IsMember(ctx context.Context, userID, principal string) (bool, error) {
	if !userIDPattern.MatchString(userID) {
		return false, invalidID("user", userID)
	}
	switch {
	case userIDPattern.MatchString(principal):
		return userID == principal, nil
	case groupIDPattern.MatchString(principal):
		members, err := d.Members(ctx, principal)
		if err != nil {
			return false, err
		}
		return slices.Contains(members, userID), nil
	}
	return false, invalidID("user or user group", principal)
}

// User returns what Slack says about a user (users.info).
func (d *Directory) User(ctx context.Context, userID string) (UserInfo, error) {
	if !userIDPattern.MatchString(userID) {
		return UserInfo{}, invalidID("user", userID)
	}
	info, err := d.users.get(ctx, userID, func() (UserInfo, error) {
		ctx, cancel := d.callContext(ctx)
		defer cancel()
		u, err := d.api.GetUserInfoContext(ctx, userID)
		d.count("users.info", err)
		if err != nil {
			return UserInfo{}, err
		}
		return userInfo(u), nil
	})
	if err != nil {
		return UserInfo{}, fmt.Errorf("user %s: %w", userID, directoryError("users.info", userID, err))
	}
	return info, nil
}

func userInfo(u *goslack.User) UserInfo {
	return UserInfo{
		ID:      u.ID,
		Name:    firstNonEmpty(u.RealName, u.Profile.RealName, u.Name),
		Deleted: u.Deleted,
		Bot:     u.IsBot,
		Guest:   u.IsRestricted || u.IsUltraRestricted,
		TeamID:  firstNonEmpty(u.TeamID, u.Profile.Team),
	}
}

// UserByEmail returns the id of the Slack user with that e-mail address
// (users.lookupByEmail); ok is false when there is none. Both answers are
// cached; an address is matched case-insensitively, as Slack does.
func (d *Directory) UserByEmail(ctx context.Context, email string) (userID string, ok bool, err error) {
	if !validEmail(email) {
		return "", false, invalidID("e-mail address", email)
	}
	key := strings.ToLower(email)
	ans, err := d.emails.get(ctx, key, func() (emailAnswer, error) {
		ctx, cancel := d.callContext(ctx)
		defer cancel()
		u, err := d.api.GetUserByEmailContext(ctx, email)
		d.count("users.lookupByEmail", err)
		switch {
		case isSlackError(err, "users_not_found"):
			return emailAnswer{}, nil
		case err != nil:
			return emailAnswer{}, err
		}
		return emailAnswer{userID: u.ID, found: u.ID != ""}, nil
	})
	if err != nil {
		return "", false, fmt.Errorf("user by e-mail: %w", directoryError("users.lookupByEmail", "", err))
	}
	return ans.userID, ans.found, nil
}

// DirectMessage posts m to userID in their direct conversation with the
// bot (opened with conversations.open), through the outbox: the DM is a
// channel like any other, with the same pacing and retries.
func (d *Directory) DirectMessage(ctx context.Context, userID string, m bot.Message) (bot.MessageRef, error) {
	if !userIDPattern.MatchString(userID) {
		return bot.MessageRef{}, invalidID("user", userID)
	}
	if d.outbox == nil {
		return bot.MessageRef{}, bot.Errorf(bot.EInternal, "direct messages need an outbox")
	}
	channel, err := d.openDM(ctx, userID)
	if err != nil {
		return bot.MessageRef{}, fmt.Errorf("direct message to %s: %w", userID, err)
	}
	ref, err := d.outbox.Post(ctx, channel, m)
	if err != nil {
		return bot.MessageRef{}, fmt.Errorf("direct message to %s: %w", userID, err)
	}
	return ref, nil
}

func (d *Directory) openDM(ctx context.Context, userID string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, d.opts.RequestTimeout)
	defer cancel()
	ch, _, _, err := d.api.OpenConversationContext(ctx, &goslack.OpenConversationParameters{Users: []string{userID}})
	d.count("conversations.open", err)
	if err != nil {
		return "", directoryError("conversations.open", userID, err)
	}
	if ch == nil || !dmIDPattern.MatchString(ch.ID) {
		return "", bot.Errorf(bot.EUnavailable, "Slack opened no direct conversation with %s", userID)
	}
	return ch.ID, nil
}

func (d *Directory) count(method string, err error) {
	result := "ok"
	if err != nil {
		result = "error"
	}
	if d.outbox != nil {
		d.outbox.metrics.requests.WithLabelValues(method, result).Inc()
	}
}

func isSlackError(err error, code string) bool {
	var se goslack.SlackErrorResponse
	return errors.As(err, &se) && se.Err == code
}
