package storerow

import (
	"encoding/json"
	"fmt"
	"unicode/utf8"

	"github.com/sccbot/sccbot/bot"
)

// Finding is a finding encoded for the findings table: the whole finding
// as JSON (Data, the source of truth when reading) and copies of the
// fields queries select on.
type Finding struct {
	Name, ShortID, Category, Severity, State, Mute, Class, Project, Product string
	EventTime, CreateTime                                                   string
	Data                                                                    string
}

// NewFinding encodes f. The name is the finding's identity, so it must be
// usable as given; other text is made valid UTF-8 the way encoding/json
// does it, so that the columns agree with the JSON.
func NewFinding(f bot.Finding) (Finding, error) {
	if f.Name == "" {
		return Finding{}, bot.Errorf(bot.EInvalid, "finding has no name")
	}
	if !utf8.ValidString(f.Name) {
		return Finding{}, bot.Errorf(bot.EInvalid, "finding name %q is not valid UTF-8", f.Name)
	}
	eventTime, err := EncodeTime("finding event time", f.EventTime)
	if err != nil {
		return Finding{}, err
	}
	createTime, err := EncodeTime("finding create time", f.CreateTime)
	if err != nil {
		return Finding{}, err
	}
	data, err := json.Marshal(f)
	if err != nil {
		return Finding{}, fmt.Errorf("encode finding %q: %w", f.Name, err)
	}
	return Finding{
		Name: f.Name, ShortID: f.ShortID(),
		Category: ValidText(f.Category), Severity: f.Severity.String(),
		State: ValidText(f.State), Mute: ValidText(f.Mute), Class: ValidText(f.Class),
		Project: ValidText(f.Project()), Product: ValidText(string(f.Target.Product)),
		EventTime: eventTime, CreateTime: createTime,
		Data: string(data),
	}, nil
}

// DecodeFinding decodes the data column.
func DecodeFinding(data []byte) (bot.Finding, error) {
	var f bot.Finding
	if err := json.Unmarshal(data, &f); err != nil {
		return bot.Finding{}, fmt.Errorf("decode stored finding: %w", err)
	}
	return f, nil
}
