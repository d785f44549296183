package bot

import "time"

// Message is a chat message in neutral form. Handlers build it; the Slack
// adapter renders it to Block Kit. All text in a Message is literal: the
// renderer escapes it for the chat platform and cuts it to the platform's
// limits, so a handler can put attacker-controlled strings anywhere without
// escaping them itself. Formatting is expressed only through the types
// below, never through markup inside strings.
type Message struct {
	// Text is the plain notification text shown where blocks are not.
	Text   string
	Blocks []Block
	// Key identifies the message for idempotent delivery: a poster that
	// cannot tell whether a post landed (a timeout, a 5xx) looks for a
	// message with this key before posting again.
	Key string
	// Resume, when set, says a post of this message may have landed since
	// then (a crash came between the post and its record): the poster
	// looks for a message with Key in the channel before posting.
	Resume time.Time
	// Priority orders a channel's waiting posts: severe findings first,
	// then people, listings, other cards and owed cards.
	Priority Priority
	// Brief is a one-line summary naming the message's subject. A poster
	// that cannot post every severe card in time names their briefs in
	// one burst message first and returns ErrDeferred to their senders.
	Brief Rich
}

// Priority orders waiting posts; lower goes first.
type Priority int

// Post priorities, most urgent first. The zero value, for answers to
// people and anything else untagged, comes right after severe findings.
const (
	PrioritySevere  Priority = -1 // cards of HIGH and CRITICAL findings
	PriorityNormal  Priority = 0  // answers to people, notes, requests
	PriorityListing Priority = 1  // thread listings of a group's members
	PriorityLow     Priority = 2  // cards of findings below HIGH
	PriorityOwed    Priority = 3  // cards owed after a burst named their finding
)

// Block is one of Header, Section, Code, Context, Actions or Divider.
type Block interface{ block() }

// Header is a large plain-text title.
type Header struct{ Text string }

// Section is a paragraph of rich text, optionally with labelled fields
// shown in two columns.
type Section struct {
	Text   Rich
	Fields []Field
}

// Field is a label and its value.
type Field struct {
	Label string
	Value Rich
}

// Code is preformatted text shown verbatim. When it is too long for the
// platform the renderer cuts it and appends a visible note saying so;
// Truncated asks for that note even when the cut happened upstream.
type Code struct {
	Text      string
	Truncated bool
	// Note explains a truncation that happened upstream (for example "300
	// arguments, 40 shown").
	Note string
}

// Lines is a listing: preformatted lines, each about one thing. The
// renderer spreads them over as many blocks as the platform needs and
// never splits or drops a line to do so; a message that would not hold
// them all is refused by a poster's Fits check, not cut.
type Lines struct{ Lines []string }

// Context is a line of small print.
type Context struct{ Elements []Rich }

// Actions is a row of buttons.
type Actions struct{ Buttons []Button }

// Divider is a horizontal rule.
type Divider struct{}

func (Header) block()  {}
func (Section) block() {}
func (Code) block()    {}
func (Lines) block()   {}
func (Context) block() {}
func (Actions) block() {}
func (Divider) block() {}

// ButtonStyle colours a button.
type ButtonStyle int

// Button styles.
const (
	ButtonDefault ButtonStyle = iota
	ButtonPrimary
	ButtonDanger
)

// Button is an interactive button. Value is an opaque id that the server
// looks up again when the button is clicked; it never carries parameters
// the server would trust.
type Button struct {
	ActionID string
	Label    string
	Value    string
	Style    ButtonStyle
	// URL makes the button a link. Link buttons still send an action the
	// bot acknowledges.
	URL string
}

// Rich is a run of styled text.
type Rich []Span

// SpanStyle styles a span of text.
type SpanStyle int

// Span styles.
const (
	Plain SpanStyle = iota
	Bold
	Italic
	Mono
)

// Span is literal text with one style, optionally a link. A link's URL is
// built by the bot from escaped parts; a span's Text is shown as text only.
// A span with User set mentions that chat user instead (the renderer checks
// it is a user id, so a finding's text can never become a mention).
type Span struct {
	Text  string
	Style SpanStyle
	URL   string
	User  string
	// Channel is a channel id shown as a link to the channel.
	Channel string
}

// T is plain text.
func T(s string) Span { return Span{Text: s} }

// B is bold text.
func B(s string) Span { return Span{Text: s, Style: Bold} }

// I is italic text.
func I(s string) Span { return Span{Text: s, Style: Italic} }

// M is monospace (inline code) text.
func M(s string) Span { return Span{Text: s, Style: Mono} }

// Link is text that links to url.
func Link(text, url string) Span { return Span{Text: text, URL: url} }

// Mention names a chat user (or a user group) by id; people see the name,
// and are notified.
func Mention(userID string) Span { return Span{User: userID} }

// ChannelLink links to a chat channel by id.
func ChannelLink(channelID string) Span { return Span{Channel: channelID} }

// R builds a Rich from spans.
func R(spans ...Span) Rich { return Rich(spans) }

// MessageRef points at a posted message: its channel and timestamp.
type MessageRef struct {
	Channel string
	TS      string
}

// Empty reports whether the reference points nowhere.
func (r MessageRef) Empty() bool { return r.Channel == "" || r.TS == "" }

// FileRef points at a file shared in chat: its id, and the link people
// open it with (a message can link it where the file itself is not shown).
type FileRef struct {
	ID        string
	Permalink string
}
