package escalate

import (
	"time"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/handlers"
)

// reminderMessage is the thread reply of a reminder. The finding's values
// go in as literal spans; the renderer escapes them, so a hostile
// category or pod name cannot mention anyone or link anywhere.
func reminderMessage(j job) bot.Message {
	f := j.p.Finding
	waited := handlers.FormatDuration(j.now.Sub(j.p.PostedAt))
	text := bot.R(bot.T("⏰ "))
	if j.oncall != "" {
		text = append(text, bot.Mention(j.oncall), bot.T(" "))
	}
	text = append(text, bot.T("nobody has acknowledged this "), bot.B(f.Severity.Label()),
		bot.T(" finding for "+waited+" (deadline "+deadlineText(j.d, j.d.Remind)+"): "),
		bot.T(handlers.Clip(bot.CategoryOf(f), 120)), bot.T(" · "), bot.T(handlers.Clip(handlers.WhereOf(f), 120)),
		bot.T(" · "), bot.M(f.ShortID()), bot.T(". "))
	if j.d.Escalate > 0 {
		text = append(text, bot.T("Acknowledge it on the card, or it is escalated to its owner at "+
			deadlineText(j.d, j.d.Escalate)+"."))
	} else {
		text = append(text, bot.T("Acknowledge it on the card."))
	}
	return bot.Message{Text: "Reminder: " + f.Severity.Label() + " finding unacknowledged for " + waited,
		Blocks: []bot.Block{bot.Section{Text: text}}}
}

// escalationMessage is the thread reply of an escalation.
func escalationMessage(j job, paged bool) bot.Message {
	f := j.p.Finding
	waited := handlers.FormatDuration(j.now.Sub(j.p.PostedAt))
	text := bot.R(bot.T("⏫ Escalated: nobody acknowledged this "), bot.B(f.Severity.Label()),
		bot.T(" finding in "+waited+" (deadline "+deadlineText(j.d, j.d.Escalate)+"). "))
	if paged {
		text = append(text, bot.T("Its owner has been paged."))
	} else {
		text = append(text, bot.T("A page to its owner has been requested; it needs approval."))
	}
	return bot.Message{Text: "Escalated: " + f.Severity.Label() + " finding unacknowledged for " + waited,
		Blocks: []bot.Block{bot.Section{Text: text}}}
}

// deadlineText writes a deadline's length, saying when it counts only
// business hours.
func deadlineText(d Deadline, after time.Duration) string {
	s := handlers.FormatDuration(after)
	if d.Hours != nil {
		s += " of business hours"
	}
	return s
}
