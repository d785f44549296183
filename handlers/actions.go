package handlers

// Action and callback ids of silences.
const (
	ActionSilence       = "finding.silence"
	ActionSilenceRemove = "silence.remove"
	CallbackSilence     = "silence.create"
)

// ActionEvidence is the card's Collect evidence button.
const ActionEvidence = "finding.evidence"

// ActionShare is the button under `/finding show` that posts the card in
// the channel for everyone.
const ActionShare = "finding.share"

// Action ids of the card's buttons: a stable interface that Slack
// workflows and tests click.
const (
	ActionRelated  = "finding.related"
	ActionLogs     = "finding.logs"
	ActionAttack   = "finding.attack"
	ActionPlaybook = "finding.playbook"
)

// Action and callback ids of responses.
const (
	ActionContain   = "finding.contain"
	ActionPageOwner = "finding.page_owner"
	ActionMute      = "finding.mute"
	ActionResolve   = "finding.resolve"
	ActionApprove   = "approval.approve"
	ActionDeny      = "approval.deny"
	CallbackContain = "contain.request"
	CallbackMute    = "mute.request"
	CallbackResolve = "resolve.request"
)

// ActionAck is the card's Acknowledge button.
const ActionAck = "finding.ack"
