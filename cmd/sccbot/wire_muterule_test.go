package main

import (
	"testing"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/config"
)

func TestMuteRuleFollowsMuteUnlessConfigured(t *testing.T) {
	mute := &config.ResponseRule{Approvers: []string{"S0SECLEADS"}, Approval: config.ApprovalRequired, TwoPerson: true}
	got := rules(config.Responses{Actions: map[string]*config.ResponseRule{bot.ActionMute: mute}})
	if r, ok := got[bot.ActionMuteRule]; !ok || !r.Approval || !r.TwoPerson || len(r.Approvers) != 1 || r.Approvers[0] != "S0SECLEADS" {
		t.Errorf("mute_rule without a rule of its own = %+v, %v; want mute's rule", r, ok)
	}
	own := &config.ResponseRule{Approvers: []string{"U0CISO01"}, Approval: config.ApprovalRequired}
	got = rules(config.Responses{Actions: map[string]*config.ResponseRule{bot.ActionMute: mute, bot.ActionMuteRule: own}})
	if r := got[bot.ActionMuteRule]; r.TwoPerson || len(r.Approvers) != 1 || r.Approvers[0] != "U0CISO01" {
		t.Errorf("configured mute_rule = %+v; want its own rule", r)
	}
	if _, ok := rules(config.Responses{})[bot.ActionMuteRule]; ok {
		t.Error("mute_rule is enabled although mute is not")
	}
}
