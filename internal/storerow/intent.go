package storerow

import (
	"encoding/json"
	"fmt"

	"github.com/sccbot/sccbot/bot"
)

// Intent is a post intent encoded for the post_intents table: the names a
// listing names as a JSON array, owed as 0 or 1.
type Intent struct {
	Key, Channel, Thread, Finding, Names string
	Owed                                 int
	Created, Holder                      string
}

// NewIntent checks and encodes in; Created is the store's clock.
func NewIntent(in bot.PostIntent) (Intent, error) {
	if in.Key == "" || in.Channel == "" {
		return Intent{}, bot.Errorf(bot.EInvalid, "a post intent needs a key and a channel")
	}
	names, err := json.Marshal(append([]string{}, in.Names...))
	if err != nil {
		return Intent{}, fmt.Errorf("encode intent names: %w", err)
	}
	return Intent{Key: ValidText(in.Key), Channel: ValidText(in.Channel), Thread: ValidText(in.Thread),
		Finding: ValidText(in.Finding), Names: string(names), Owed: BoolInt(in.Owed), Created: FormatTime(in.Created),
		Holder: ValidText(in.Holder)}, nil
}

// PostIntent decodes a row read from post_intents.
func (r Intent) PostIntent() (bot.PostIntent, error) {
	in := bot.PostIntent{Key: r.Key, Channel: r.Channel, Thread: r.Thread, Finding: r.Finding, Owed: r.Owed == 1, Holder: r.Holder}
	if err := json.Unmarshal([]byte(r.Names), &in.Names); err != nil {
		return bot.PostIntent{}, fmt.Errorf("intent %q names: %w", r.Key, err)
	}
	if len(in.Names) == 0 {
		in.Names = nil
	}
	t, err := ParseTime(r.Created)
	in.Created = t
	return in, err
}

// IntentColumns are post_intents' columns in the order of Intent's fields.
const IntentColumns = `key, channel, thread, finding, names, owed, created_at, holder`

// Scan reads a row of IntentColumns.
func (r *Intent) Scan(row interface{ Scan(...any) error }) error {
	return row.Scan(&r.Key, &r.Channel, &r.Thread, &r.Finding, &r.Names, &r.Owed, &r.Created, &r.Holder)
}
