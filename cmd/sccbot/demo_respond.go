package main

import (
	"context"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/fsouza/fake-gcs-server/fakestorage"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/bot/scc/sccfake"
	"github.com/sccbot/sccbot/bot/slack/slackfake"
	"github.com/sccbot/sccbot/handlers"
	"github.com/sccbot/sccbot/playbooks"
)

// The demo's people: alice responds and leads, bob leads.
const (
	demoResponder = "U0ALICE"
	demoApprover  = "U0BOB"
)

func (d *demo) addPeople() {
	d.fakes.slack.AddUser(demoApprover, "bob@example.com", "bob")
	d.fakes.slack.SetUserGroup("S0RESPONDERS", demoResponder)
	d.fakes.slack.SetUserGroup("S0LEADS", demoResponder, demoApprover)
}

// respond resolves the Cloud Run compiler finding as a false positive,
// plays a containment on the GKE card (alice collects evidence, then
// requests isolation; bob approves both), pages the owner of the urgent
// Cloud Run finding, and types /finding commands. The resolve goes first:
// its card's edit waits its turn in Slack's workspace-wide chat.update
// pace while the rest plays, instead of after it.
func (d *demo) respond(ctx context.Context) error {
	resolved, err := d.resolve(ctx, "false_positive", "the build step of checkout-api compiles its plugins: expected")
	if err != nil {
		return err
	}
	gke := d.fakes.slack.Messages(d.fakes.slack.ChannelID("#secops-gke"))[0]
	if err := d.collectEvidence(ctx, gke); err != nil {
		return err
	}
	if err := d.contain(ctx, gke, "isolate_pod", "gcc built a binary in /tmp/.cache in production"); err != nil {
		return err
	}
	urgent := d.fakes.slack.Messages(d.fakes.slack.ChannelID("#secops-urgent"))[0]
	if err := d.press(ctx, urgent, handlers.ActionPageOwner, demoResponder, ""); err != nil {
		return err
	}
	if _, err := d.replyWith(ctx, urgent, " paged at "); err != nil {
		return err
	}
	for _, text := range []string{"list since=24h", "list verdict=false_positive", "digest"} {
		if err := d.slash(ctx, text); err != nil {
			return err
		}
	}
	return d.cardShows(ctx, resolved, "Resolved as")
}

// collectEvidence has alice press Collect evidence and bob approve it,
// before anything in the pod is touched.
func (d *demo) collectEvidence(ctx context.Context, card slackfake.Message) error {
	if err := d.press(ctx, card, handlers.ActionEvidence, demoResponder, ""); err != nil {
		return err
	}
	req, err := d.replyWith(ctx, card, "keep the evidence before containment")
	if err != nil {
		return err
	}
	if err := d.press(ctx, req, handlers.ActionApprove, demoApprover, ""); err != nil {
		return err
	}
	_, err = d.replyWith(ctx, card, "Evidence kept")
	return err
}

func (d *demo) contain(ctx context.Context, card slackfake.Message, action, reason string) error {
	if err := d.fillDialog(ctx, card, handlers.ActionContain, map[string]string{"action": action, "reason": reason}); err != nil {
		return err
	}
	req, err := d.replyWith(ctx, card, reason)
	if err != nil {
		return err
	}
	if err := d.press(ctx, req, handlers.ActionApprove, demoApprover, ""); err != nil {
		return err
	}
	// The thread already has the evidence's ✅: wait for this action's.
	_, err = d.replyWith(ctx, card, "✅ "+playbooks.ActionLabel(action))
	return err
}

// resolve has alice resolve the Cloud Run compiler finding (its card is in
// #secops) from the Resolve dialog, with a verdict and a note, and returns
// the card.
func (d *demo) resolve(ctx context.Context, verdict, note string) (slackfake.Message, error) {
	var card slackfake.Message
	for _, m := range d.fakes.slack.Messages(d.fakes.slack.ChannelID("#secops")) {
		if strings.Contains(string(m.Blocks), handlers.ActionResolve) {
			card = m
			break
		}
	}
	if card.TS == "" {
		return card, fmt.Errorf("no card with a Resolve button in #secops")
	}
	if err := d.fillDialog(ctx, card, handlers.ActionResolve, map[string]string{"verdict": verdict, "note": note}); err != nil {
		return card, err
	}
	_, err := d.replyWith(ctx, card, "✅ "+playbooks.ActionLabel(playbooks.ActionResolve))
	return card, err
}

// fillDialog has alice click the card's button that opens a dialog and
// submit it with values (input id to value).
func (d *demo) fillDialog(ctx context.Context, card slackfake.Message, actionID string, values map[string]string) error {
	n := len(d.fakes.slack.Views())
	if err := d.press(ctx, card, actionID, demoResponder, ""); err != nil {
		return err
	}
	views, err := d.fakes.slack.WaitViews(ctx, n+1)
	if err != nil {
		return fmt.Errorf("no dialog after %s: %w", actionID, err)
	}
	state := map[string]map[string]string{}
	for id, v := range values {
		state[id] = map[string]string{id: v}
	}
	sub := d.fakes.slack.ViewSubmissionPayload(slackfake.ViewSubmission{UserID: demoResponder, ViewID: views[n].ID, Values: state})
	if _, err := d.fakes.slack.SendAndWaitAck(ctx, "interactive", sub); err != nil {
		return fmt.Errorf("submit the dialog of %s: %w", actionID, err)
	}
	return nil
}

// cardShows waits until the card has been edited to show want.
func (d *demo) cardShows(ctx context.Context, card slackfake.Message, want string) error {
	for n := 1; ; n++ {
		m, err := d.fakes.slack.WaitEdits(ctx, card.Channel, card.TS, n)
		if err != nil {
			return fmt.Errorf("waiting for the card to show %q: %w", want, err)
		}
		if strings.Contains(m.Text+string(m.Blocks), want) {
			return nil
		}
		n = m.Edits
	}
}

func (d *demo) press(ctx context.Context, msg slackfake.Message, action, user, value string) error {
	p := d.fakes.slack.BlockActionPayload(slackfake.BlockAction{UserID: user, Channel: msg.Channel,
		MessageTS: msg.TS, ActionID: action, Value: value})
	if _, err := d.fakes.slack.SendAndWaitAck(ctx, "interactive", p); err != nil {
		return fmt.Errorf("click %s: %w", action, err)
	}
	return nil
}

// replyWith waits for a reply in the card's thread whose text has want;
// a request's outcome is an edit of its message, so edits count.
func (d *demo) replyWith(ctx context.Context, card slackfake.Message, want string) (slackfake.Message, error) {
	r, err := d.fakes.slack.WaitReply(ctx, card.Channel, card.TS, func(_ int, m slackfake.Message) bool {
		return strings.Contains(m.Text+string(m.Blocks), want)
	})
	if err != nil {
		return slackfake.Message{}, fmt.Errorf("waiting for %q in the thread: %w", want, err)
	}
	return r, nil
}

// slash types /finding text in #secops and waits for the answer.
func (d *demo) slash(ctx context.Context, text string) error {
	p := d.fakes.slack.SlashCommandPayload(slackfake.SlashCommand{Text: text, UserID: demoResponder, Channel: "#secops"})
	if _, err := d.fakes.slack.SendAndWaitAck(ctx, "slash_commands", p); err != nil {
		return fmt.Errorf("/finding %s: %w", text, err)
	}
	if _, err := d.fakes.slack.WaitResponses(ctx, path.Base(p["response_url"].(string)), 1); err != nil {
		return fmt.Errorf("/finding %s: no answer: %w", text, err)
	}
	return nil
}

// printEffects shows what the Google and PagerDuty fakes received.
func (d *demo) printEffects(w io.Writer) {
	fmt.Fprintln(w, "\n---- what the workload APIs received ----")
	for _, c := range d.fakes.kube.Calls() {
		fmt.Fprintf(w, "kubernetes  %s %s\n", c.Method, c.Path)
	}
	for _, x := range d.fakes.kube.Execs() {
		fmt.Fprintf(w, "kubernetes  exec %q in %s/%s container %s (%s)\n", x.Command, x.Namespace, x.Pod, x.Container, x.Protocol)
	}
	if objs, err := d.fakes.gcs.ListObjectsWithOptionsPaginated(demoEvidenceBucket, fakestorage.ListOptions{}); err == nil {
		for _, o := range objs.Objects {
			fmt.Fprintf(w, "storage     gs://%s/%s (%d bytes)\n", o.BucketName, o.Name, o.Size)
		}
	}
	for _, key := range []string{sccfake.SeedGKECompiler, sccfake.SeedCloudRunCompiler, sccfake.SeedCloudRunMaliciousBinary} {
		seed, _ := sccfake.SeedFinding(key)
		f, ok := d.fakes.scc.Finding(seed.GetName())
		if m := f.GetSecurityMarks().GetMarks(); ok && m[bot.MarkVerdict] != "" {
			fmt.Fprintf(w, "scc         %s: state %s, marks %s=%s %s=%s\n", path.Base(f.GetName()), f.GetState(),
				bot.MarkVerdict, m[bot.MarkVerdict], bot.MarkVerdictBy, m[bot.MarkVerdictBy])
		}
	}
	for _, in := range d.fakes.pagerduty.Incidents() {
		fmt.Fprintf(w, "pagerduty   %s incident %q (dedup key: the finding's name)\n", in.Status, in.Summary)
	}
}
