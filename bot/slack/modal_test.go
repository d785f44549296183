package slack

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	goslack "github.com/slack-go/slack"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/bot/slack/slackfake"
)

// containModal is the dialog "Contain..." opens for a GKE finding, with an
// attacker-controlled pod name in the preview of what will be touched.
func containModal() bot.Modal {
	hostilePod := "checkout-7d9f8b6c5-x2x9q <!channel> <https://evil.example|Open in GCP console> `rm -rf`\u202e"
	return bot.Modal{
		CallbackID: "finding.contain",
		Title:      "Contain: Defense Evasion on checkout",
		Submit:     "Request approval",
		Close:      "Cancel",
		Metadata:   "req_7f3a9c2e",
		Blocks: []bot.Block{
			bot.Section{Text: bot.R(bot.T("Finding "), bot.B("Defense Evasion: Launch Code Compiler Tool In Container"),
				bot.T(" on "), bot.M("prod-cluster"))},
			bot.Section{Text: bot.R(bot.B("Will touch"))},
			bot.Code{Text: "pod payments/" + hostilePod + "\nnode gke-prod-pool-1-abcd\ncluster demo-prod/us-central1/prod-cluster"},
			bot.Context{Elements: []bot.Rich{bot.R(bot.T("A member of "), bot.M("S0APPROVERS"), bot.T(" must approve."))}},
		},
		Inputs: []bot.Input{
			{ID: "action", Kind: bot.InputRadio, Label: "Action", Initial: bot.ActionIsolatePod, Options: []bot.Option{
				{Value: bot.ActionIsolatePod, Label: "Isolate the pod", Description: "Deny all traffic; keep it running for forensics"},
				{Value: bot.ActionDeletePod, Label: "Delete the pod <!here>"},
				{Value: bot.ActionCordonNode, Label: "Cordon the node"},
			}},
			{ID: "reason", Kind: bot.InputMultiline, Label: "Reason", MaxLength: 500,
				Hint: "Shown to approvers and written to the audit log <@U0EVIL>"},
			{ID: "mode", Kind: bot.InputSelect, Label: "Mode", Optional: true, Initial: "live", Options: []bot.Option{
				{Value: "live", Label: "Make the change"},
				{Value: "dry_run", Label: "Dry run"},
			}},
		},
	}
}

func modalJSON(t *testing.T, v goslack.ModalViewRequest) []byte {
	t.Helper()
	out, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(out, '\n')
}

func TestRenderModalGoldenContain(t *testing.T) {
	v := RenderModal(containModal())
	golden(t, "contain_modal", modalJSON(t, v))
	raw := string(modalJSON(t, v))
	for _, bad := range []string{`\u003c!channel`, `\u003c!here`, `\u003c@U0EVIL`, `\u003chttps://evil`, "\u202e", "`rm"} {
		if strings.Contains(raw, bad) {
			t.Errorf("hostile %q survived rendering", bad)
		}
	}
}

// TestRenderModalKeysInputsByID proves block_id and action_id are both the
// input id, so submitted values and validation errors name the same key.
func TestRenderModalKeysInputsByID(t *testing.T) {
	v := RenderModal(containModal())
	var got []string
	for _, b := range v.Blocks.BlockSet {
		in, ok := b.(*goslack.InputBlock)
		if !ok {
			continue
		}
		got = append(got, in.BlockID+"="+actionIDOf(t, in.Element))
	}
	want := []string{"action=action", "reason=reason", "mode=mode"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("input ids (-want +got):\n%s", diff)
	}
}

func actionIDOf(t *testing.T, el goslack.BlockElement) string {
	t.Helper()
	switch el := el.(type) {
	case *goslack.PlainTextInputBlockElement:
		return el.ActionID
	case *goslack.SelectBlockElement:
		return el.ActionID
	case *goslack.RadioButtonsBlockElement:
		return el.ActionID
	}
	t.Fatalf("unexpected element %T", el)
	return ""
}

func TestRenderModalLimits(t *testing.T) {
	long := func(n int) string { return strings.Repeat("x", n) }
	var many []bot.Option
	for i := range 150 {
		many = append(many, bot.Option{Value: fmt.Sprintf("v%d", i), Label: long(200), Description: long(200)})
	}
	var display []bot.Block
	for range 120 {
		display = append(display, bot.Divider{})
	}
	m := bot.Modal{
		Title: long(100), Submit: long(100), Close: long(100), Blocks: display,
		Inputs: []bot.Input{
			{ID: "sel", Kind: bot.InputSelect, Label: long(3000), Hint: long(3000), Options: many},
			{ID: "radio", Kind: bot.InputRadio, Label: "r", Options: many[:12], Initial: "v11"},
			{ID: "text", Kind: bot.InputText, Label: "t", MaxLength: 5000, Initial: long(4000)},
		},
	}
	v := RenderModal(m)
	n := utf8.RuneCountInString
	for name, obj := range map[string]*goslack.TextBlockObject{"title": v.Title, "submit": v.Submit, "close": v.Close} {
		if n(obj.Text) > maxModalTitle || obj.Type != goslack.PlainTextType {
			t.Errorf("%s = %q (%s), want plain text of at most %d", name, obj.Text, obj.Type, maxModalTitle)
		}
	}
	blocks := v.Blocks.BlockSet
	if len(blocks) != maxModalBlocks {
		t.Fatalf("%d blocks, want the display blocks cut to leave room for the inputs (%d)", len(blocks), maxModalBlocks)
	}
	if _, ok := blocks[maxModalBlocks-4].(*goslack.ContextBlock); !ok {
		t.Errorf("block before the inputs is %T, want the truncation note", blocks[maxModalBlocks-4])
	}
	sel := blocks[maxModalBlocks-3].(*goslack.InputBlock)
	if n(sel.Label.Text) > maxInputLabel || n(sel.Hint.Text) > maxInputHint {
		t.Errorf("label %d, hint %d chars", n(sel.Label.Text), n(sel.Hint.Text))
	}
	opts := sel.Element.(*goslack.SelectBlockElement).Options
	if len(opts) != maxSelectOptions || n(opts[0].Text.Text) > maxOptionText || n(opts[0].Description.Text) > maxOptionText {
		t.Errorf("%d options, text %d, description %d chars", len(opts), n(opts[0].Text.Text), n(opts[0].Description.Text))
	}
	radio, ok := blocks[maxModalBlocks-2].(*goslack.InputBlock).Element.(*goslack.SelectBlockElement)
	if !ok || len(radio.Options) != 12 || radio.InitialOption == nil || radio.InitialOption.Value != "v11" {
		t.Errorf("12 radio options: want a static_select keeping all of them and the initial option, got %+v", radio)
	}
	text := blocks[maxModalBlocks-1].(*goslack.InputBlock).Element.(*goslack.PlainTextInputBlockElement)
	if text.MaxLength != maxTextInput || n(text.InitialValue) > maxTextInput {
		t.Errorf("max_length %d, initial value %d chars", text.MaxLength, n(text.InitialValue))
	}
}

func TestRenderModalDefaultsAndDroppedInitial(t *testing.T) {
	v := RenderModal(bot.Modal{Title: " \u202e ", Inputs: []bot.Input{
		{ID: "sel", Kind: bot.InputSelect, Options: []bot.Option{{Value: "a"}}, Initial: "not-an-option"},
	}})
	if v.Title.Text != "sccbot" || v.Submit == nil || v.Submit.Text != "Submit" || v.Close != nil {
		t.Errorf("title %q, submit %+v, close %+v", v.Title.Text, v.Submit, v.Close)
	}
	in := v.Blocks.BlockSet[0].(*goslack.InputBlock)
	el := in.Element.(*goslack.SelectBlockElement)
	if in.Label.Text != "(unlabelled)" || el.Options[0].Text.Text != "a" || el.InitialOption != nil {
		t.Errorf("label %q, option text %q, initial %+v", in.Label.Text, el.Options[0].Text.Text, el.InitialOption)
	}
}

func TestOpenModalRefusesWhatItMustNotCut(t *testing.T) {
	h := newOutboxHarness(t)
	ok := bot.Option{Value: "a", Label: "A"}
	cases := map[string]bot.Modal{
		"metadata":       {Metadata: strings.Repeat("m", maxPrivateMetadata+1)},
		"callback":       {CallbackID: strings.Repeat("c", maxCallbackID+1)},
		"empty id":       {Inputs: []bot.Input{{Label: "x"}}},
		"duplicate id":   {Inputs: []bot.Input{{ID: "r"}, {ID: "r"}}},
		"long id":        {Inputs: []bot.Input{{ID: strings.Repeat("i", maxInputID+1)}}},
		"no options":     {Inputs: []bot.Input{{ID: "s", Kind: bot.InputSelect}}},
		"long value":     {Inputs: []bot.Input{{ID: "s", Kind: bot.InputSelect, Options: []bot.Option{{Value: strings.Repeat("v", maxOptionValue+1)}}}}},
		"repeated value": {Inputs: []bot.Input{{ID: "s", Kind: bot.InputRadio, Options: []bot.Option{ok, ok}}}},
	}
	for name, m := range cases {
		err := h.outbox.OpenModal(context.Background(), "trigger-x", m)
		if bot.ErrorCode(err) != bot.EInvalid {
			t.Errorf("%s: OpenModal = %v, want an invalid error", name, err)
		}
	}
	if n := len(h.fake.Calls("views.open")); n != 0 {
		t.Errorf("%d views.open calls for refused dialogs", n)
	}
	if err := h.outbox.OpenModal(context.Background(), "", containModal()); bot.ErrorCode(err) != bot.EInvalid {
		t.Errorf("no trigger: OpenModal = %v", err)
	}
}

// freshTrigger returns a trigger id the fake issued, as a click carries.
func freshTrigger(t *testing.T, f *slackfake.Server) string {
	t.Helper()
	p := f.BlockActionPayload(slackfake.BlockAction{ActionID: "finding.contain"})
	return p["trigger_id"].(string)
}

func TestOpenModalSendsViewsOpen(t *testing.T) {
	h := newOutboxHarness(t)
	trigger := freshTrigger(t, h.fake)
	m := containModal()
	if err := h.outbox.OpenModal(context.Background(), trigger, m); err != nil {
		t.Fatalf("OpenModal = %v", err)
	}
	views := h.fake.Views()
	if len(views) != 1 {
		t.Fatalf("%d views opened, want 1", len(views))
	}
	got := views[0]
	if got.Method != "views.open" || got.TriggerID != trigger || got.CallbackID != m.CallbackID || got.PrivateMetadata != m.Metadata {
		t.Errorf("view = %s trigger %q callback %q metadata %q", got.Method, got.TriggerID, got.CallbackID, got.PrivateMetadata)
	}
	var sent, want map[string]any
	if err := json.Unmarshal(got.View, &sent); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(modalJSON(t, RenderModal(m)), &want); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, sent); diff != "" {
		t.Errorf("view sent differs from the rendering (-want +got):\n%s", diff)
	}
}

func TestOpenModalSpentOrExpiredTriggerIsFriendly(t *testing.T) {
	h := newOutboxHarness(t)
	ctx := context.Background()
	expired := freshTrigger(t, h.fake)
	h.fake.ExpireTrigger(expired)
	used := freshTrigger(t, h.fake)
	if err := h.outbox.OpenModal(ctx, used, containModal()); err != nil {
		t.Fatal(err)
	}
	for _, trigger := range []string{expired, used} {
		err := h.outbox.OpenModal(ctx, trigger, containModal())
		if bot.ErrorCode(err) != bot.EInvalid || bot.ErrorMessage(err) != errTriggerExpired {
			t.Errorf("trigger %s: OpenModal = %v, want %q", trigger, err, errTriggerExpired)
		}
	}
	var codes []string
	for _, c := range h.fake.Calls("views.open") {
		codes = append(codes, c.Error)
	}
	if diff := cmp.Diff([]string{"", "expired_trigger_id", "exchanged_trigger_id"}, codes); diff != "" {
		t.Errorf("views.open answers (-want +got):\n%s", diff)
	}
}

// TestOpenModalHasItsOwnShortTimeout proves a slow views.open is given up
// within the modal timeout, not the outbox's request timeout, with the
// same click-again answer.
func TestOpenModalHasItsOwnShortTimeout(t *testing.T) {
	f := slackfake.New()
	t.Cleanup(f.Close)
	f.SetLatency("views.open", 5*time.Second)
	o := NewOutbox(goslack.New(f.BotToken(), goslack.OptionAPIURL(f.URL())),
		OutboxOptions{ModalTimeout: 50 * time.Millisecond, RequestTimeout: time.Minute})
	start := time.Now()
	err := o.OpenModal(context.Background(), freshTrigger(t, f), containModal())
	if bot.ErrorCode(err) != bot.EDeadline || bot.ErrorMessage(err) != errTriggerExpired {
		t.Errorf("OpenModal = %v, want a deadline error saying %q", err, errTriggerExpired)
	}
	if d := time.Since(start); d > 4*time.Second {
		t.Errorf("OpenModal took %v; the modal timeout was not applied", d)
	}
}
