package playbooks

import (
	"slices"

	"github.com/sccbot/sccbot/bot"
)

// Response actions: the domain's, named here too because the ids are part
// of the playbook file format.
const (
	ActionIsolatePod              = bot.ActionIsolatePod
	ActionDeletePod               = bot.ActionDeletePod
	ActionCordonNode              = bot.ActionCordonNode
	ActionCloudRunRollback        = bot.ActionCloudRunRollback
	ActionCloudRunCancelExecution = bot.ActionCloudRunCancelExecution
	ActionPageOwner               = bot.ActionPageOwner
	ActionMute                    = bot.ActionMute
	ActionResolve                 = bot.ActionResolve
)

// evidenceFirst are the actions that destroy what is in a container:
// collect_evidence is offered before them.
var evidenceFirst = []string{ActionDeletePod, ActionIsolatePod, ActionCloudRunRollback}

// Actions lists every response action, in the order the checklist would
// show them.
func Actions() []string {
	return []string{
		ActionCollectEvidence, ActionIsolatePod, ActionDeletePod, ActionCordonNode, ActionCloudRunRollback,
		ActionCloudRunCancelExecution, ActionPageOwner, ActionMute, ActionResolve,
	}
}

// ActionLabel says what an action does, for people.
func ActionLabel(action string) string {
	switch action {
	case ActionCollectEvidence:
		return "Collect evidence: copy the binary (SHA-256 checked), spec and logs to the bucket before containment"
	case ActionIsolatePod:
		return "Isolate the pod: a deny-all network policy, kept running for forensics"
	case ActionDeletePod:
		return "Delete the pod: its controller starts a clean one"
	case ActionCordonNode:
		return "Cordon the node: no new pods are scheduled there"
	case ActionCloudRunRollback:
		return "Roll back: move traffic to the last good revision, then delete the compromised one"
	case ActionCloudRunCancelExecution:
		return "Cancel the job execution"
	case ActionPageOwner:
		return "Page the project owner"
	case ActionMute:
		return "Mute the finding (expected activity)"
	case ActionResolve:
		return "Resolve the finding (handled)"
	case bot.ActionMuteRule:
		return "Create an SCC mute rule for findings like this one"
	}
	return action
}

// actionProducts are the products an action can act on; nil means any.
func actionProducts(action string) []bot.Product {
	switch action {
	case ActionIsolatePod, ActionDeletePod, ActionCordonNode:
		return []bot.Product{bot.ProductGKE}
	case ActionCloudRunRollback, ActionCloudRunCancelExecution:
		return []bot.Product{bot.ProductCloudRun}
	case ActionCollectEvidence:
		return []bot.Product{bot.ProductGKE, bot.ProductCloudRun}
	}
	return nil
}

func actionFits(action string, p bot.Product) bool {
	ps := actionProducts(action)
	return ps == nil || slices.Contains(ps, p)
}

// actionNeeds are the values an action needs to find its target.
func actionNeeds(action string) []string {
	switch action {
	case ActionIsolatePod, ActionDeletePod:
		return []string{"cluster", "namespace", "pod"}
	case ActionCordonNode:
		return []string{"cluster", "node"}
	case ActionCloudRunRollback:
		return []string{"service"}
	case ActionCloudRunCancelExecution:
		return []string{"job", "execution"}
	}
	return nil
}

// defaultResponses serve a product the playbook does not cover: the
// actions that fit any finding.
func defaultResponses() []Response {
	return []Response{
		{Action: ActionPageOwner, Suggested: true, Label: ActionLabel(ActionPageOwner)},
		{Action: ActionMute, Label: ActionLabel(ActionMute)},
		{Action: ActionResolve, Label: ActionLabel(ActionResolve)},
	}
}

// Responses are the actions that fit the category on product, in the
// playbook's order, exactly one suggested. A product the playbook does not
// cover gets page_owner (suggested), mute and resolve.
func (p *Playbook) Responses(product bot.Product) []Response {
	rs, ok := p.responses[product]
	if !ok {
		return defaultResponses()
	}
	return slices.Clone(rs)
}

// ResponsesFor narrows Responses to the actions f's values allow: no pod
// actions without a pod, no rollback without a service, no cancel without
// an execution. When that drops the suggested action, the first remaining
// one is suggested instead.
func (p *Playbook) ResponsesFor(f bot.Finding) []Response {
	vals := valuesOf(f)
	var out []Response
	suggested := false
	for _, r := range withEvidence(p.Responses(productOf(f)), f, vals) {
		if len(absent(vals, actionNeeds(r.Action))) > 0 {
			continue
		}
		suggested = suggested || r.Suggested
		out = append(out, r)
	}
	if i := slices.IndexFunc(out, func(r Response) bool { return r.Action != ActionCollectEvidence }); !suggested && i >= 0 {
		out[i].Suggested = true
	}
	return out
}

// withEvidence puts collect_evidence before the first action that would
// destroy what is in the workload, when there is something to collect
// from: a GKE pod, or a Cloud Run service's revision.
func withEvidence(rs []Response, f bot.Finding, vals values) []Response {
	if slices.ContainsFunc(rs, func(r Response) bool { return r.Action == ActionCollectEvidence }) {
		return rs
	}
	switch productOf(f) {
	case bot.ProductGKE:
		if len(absent(vals, []string{"cluster", "namespace", "pod"})) > 0 {
			return rs
		}
	case bot.ProductCloudRun:
		if len(absent(vals, []string{"service", "revision"})) > 0 {
			return rs
		}
	default:
		return rs
	}
	i := slices.IndexFunc(rs, func(r Response) bool { return slices.Contains(evidenceFirst, r.Action) })
	if i < 0 {
		return rs
	}
	return slices.Insert(rs, i, Response{Action: ActionCollectEvidence, Label: ActionLabel(ActionCollectEvidence)})
}
