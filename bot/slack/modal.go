package slack

import (
	"fmt"
	"strings"
	"unicode/utf8"

	goslack "github.com/slack-go/slack"

	"github.com/sccbot/sccbot/bot"
)

// Modal limits (docs.slack.dev/reference/views/modal-views and the block
// element references; notes/slack.md 2.4).
const (
	maxModalTitle      = 24
	maxModalBlocks     = 100
	maxPrivateMetadata = 3000
	maxCallbackID      = 255
	maxInputID         = 255 // block_id and action_id
	maxInputLabel      = 2000
	maxInputHint       = 2000
	maxTextInput       = 3000 // plain_text_input max_length
	maxSelectOptions   = 100
	maxRadioOptions    = 10
	maxOptionText      = 75
	maxOptionValue     = 150
)

// RenderModal turns a neutral dialog into a modal view. Like Render, it
// escapes every string and keeps inside Slack's limits by cutting text;
// what it cannot cut without changing meaning (ids, option values,
// metadata) checkModal refuses before OpenModal sends anything.
//
// Each input becomes an input block whose block_id and action_id are both
// the Input's ID, so the submitted values (keyed by action_id) and the
// validation errors of a view_submission ack (keyed by block_id) name the
// same thing the handler named.
func RenderModal(m bot.Modal) goslack.ModalViewRequest {
	v := goslack.ModalViewRequest{
		Type:            goslack.VTModal,
		Title:           plainObject(m.Title, maxModalTitle, "sccbot"),
		CallbackID:      m.CallbackID,
		PrivateMetadata: m.Metadata,
	}
	if s := strings.TrimSpace(m.Close); s != "" {
		v.Close = plainObject(s, maxModalTitle, "Cancel")
	}
	if strings.TrimSpace(m.Submit) != "" || len(m.Inputs) > 0 {
		// Slack refuses a view with inputs and no submit button.
		v.Submit = plainObject(m.Submit, maxModalTitle, "Submit")
	}
	inputs := m.Inputs[:min(len(m.Inputs), maxModalBlocks)]
	blocks := modalBlocks(m.Blocks, maxModalBlocks-len(inputs))
	for _, in := range inputs {
		blocks = append(blocks, renderInput(in))
	}
	v.Blocks = goslack.Blocks{BlockSet: blocks}
	return v
}

// modalBlocks renders the display blocks within budget, keeping the last
// slot for a visible note when some had to go: a preview that silently
// lost lines would misstate what an action touches.
func modalBlocks(in []bot.Block, budget int) []goslack.Block {
	var out []goslack.Block
	for _, b := range in {
		out = append(out, renderBlock(b)...)
	}
	if len(out) <= budget {
		return out
	}
	if budget <= 0 {
		return nil
	}
	more := len(out) - (budget - 1)
	return append(out[:budget-1], contextBlock(fmt.Sprintf("_%s: %d more blocks not shown_", truncatedMessage, more)))
}

// plainObject is a sanitized, cut plain_text object; blank text becomes
// def, because Slack refuses empty texts.
func plainObject(s string, max int, def string) *goslack.TextBlockObject {
	text := cutPlain(plainText(s), max)
	if strings.TrimSpace(text) == "" {
		text = def
	}
	return goslack.NewTextBlockObject(goslack.PlainTextType, text, true, false)
}

// optionalPlain is plainObject for optional texts: nil when blank.
func optionalPlain(s string, max int) *goslack.TextBlockObject {
	text := cutPlain(plainText(s), max)
	if strings.TrimSpace(text) == "" {
		return nil
	}
	return goslack.NewTextBlockObject(goslack.PlainTextType, text, true, false)
}

func renderInput(in bot.Input) *goslack.InputBlock {
	label := plainObject(in.Label, maxInputLabel, "(unlabelled)")
	block := goslack.NewInputBlock(in.ID, label, optionalPlain(in.Hint, maxInputHint), inputElement(in))
	block.Optional = in.Optional
	return block
}

func inputElement(in bot.Input) goslack.BlockElement {
	switch in.Kind {
	case bot.InputSelect:
		return selectElement(in)
	case bot.InputRadio:
		if len(in.Options) > maxRadioOptions {
			// Slack shows at most ten radio buttons; a menu keeps them all.
			return selectElement(in)
		}
		opts := renderOptions(in.Options, maxRadioOptions)
		el := goslack.NewRadioButtonsBlockElement(in.ID, opts...)
		el.InitialOption = initialOption(opts, in.Initial)
		return el
	}
	el := goslack.NewPlainTextInputBlockElement(nil, in.ID)
	el.Multiline = in.Kind == bot.InputMultiline
	limit := maxTextInput
	if in.MaxLength > 0 {
		limit = min(in.MaxLength, maxTextInput)
		el.MaxLength = limit
	}
	// The initial value is what the person edits, not shown markup: only
	// invalid UTF-8 and bidi tricks are removed.
	el.InitialValue = cutPlain(sanitize(in.Initial, el.Multiline), limit)
	return el
}

func selectElement(in bot.Input) *goslack.SelectBlockElement {
	opts := renderOptions(in.Options, maxSelectOptions)
	el := goslack.NewOptionsSelectBlockElement(goslack.OptTypeStatic, nil, in.ID, opts...)
	el.InitialOption = initialOption(opts, in.Initial)
	return el
}

// renderOptions cuts labels; values are opaque ids and pass unchanged
// (checkModal refuses values Slack would not take).
func renderOptions(in []bot.Option, limit int) []*goslack.OptionBlockObject {
	out := make([]*goslack.OptionBlockObject, 0, min(len(in), limit))
	for _, o := range in[:min(len(in), limit)] {
		text := plainObject(firstNonEmpty(o.Label, o.Value), maxOptionText, "(unlabelled)")
		desc := optionalPlain(o.Description, maxOptionText)
		out = append(out, goslack.NewOptionBlockObject(o.Value, text, desc))
	}
	return out
}

// initialOption returns the option with value, or nil: Slack refuses an
// initial option that is not exactly one of the options.
func initialOption(opts []*goslack.OptionBlockObject, value string) *goslack.OptionBlockObject {
	if value == "" {
		return nil
	}
	for _, o := range opts {
		if o.Value == value {
			return o
		}
	}
	return nil
}

// checkModal refuses a dialog Slack would reject for something the
// renderer must not change: its metadata, callback id, input ids and
// option values are keys the handler looks up again.
func checkModal(m bot.Modal) error {
	if n := utf8.RuneCountInString(m.Metadata); n > maxPrivateMetadata {
		return bot.Errorf(bot.EInvalid, "the dialog's metadata is %d characters; Slack allows %d", n, maxPrivateMetadata)
	}
	if utf8.RuneCountInString(m.CallbackID) > maxCallbackID {
		return bot.Errorf(bot.EInvalid, "the dialog's callback id is longer than %d characters", maxCallbackID)
	}
	if len(m.Inputs) > maxModalBlocks {
		return bot.Errorf(bot.EInvalid, "the dialog has %d inputs; Slack allows %d blocks", len(m.Inputs), maxModalBlocks)
	}
	ids := map[string]bool{}
	for _, in := range m.Inputs {
		if in.ID == "" || utf8.RuneCountInString(in.ID) > maxInputID || ids[in.ID] {
			return bot.Errorf(bot.EInvalid, "the dialog's input id %q is empty, too long or repeated", cutPlain(in.ID, 40))
		}
		ids[in.ID] = true
		if err := checkOptions(in); err != nil {
			return err
		}
	}
	return nil
}

func checkOptions(in bot.Input) error {
	if in.Kind != bot.InputSelect && in.Kind != bot.InputRadio {
		return nil
	}
	if len(in.Options) == 0 || len(in.Options) > maxSelectOptions {
		return bot.Errorf(bot.EInvalid, "input %q has %d options; Slack allows 1 to %d", in.ID, len(in.Options), maxSelectOptions)
	}
	seen := map[string]bool{}
	for _, o := range in.Options {
		if o.Value == "" || utf8.RuneCountInString(o.Value) > maxOptionValue || seen[o.Value] {
			return bot.Errorf(bot.EInvalid, "input %q has an option value that is empty, longer than %d characters or repeated", in.ID, maxOptionValue)
		}
		seen[o.Value] = true
	}
	return nil
}
