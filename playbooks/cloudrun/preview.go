package cloudrun

import (
	"fmt"

	"github.com/sccbot/sccbot/bot"
)

// Preview says what the action will touch, from the finding alone: it
// runs before the approval dialog opens and calls nothing. Every name in
// it has passed the naming rules, so it is safe to show.
func (r *Responder) Preview(f bot.Finding, action string) ([]string, error) {
	if err := checkProduct(f, action); err != nil {
		return nil, err
	}
	if action == bot.ActionCloudRunRollback {
		return previewRollback(f.Target)
	}
	return previewCancel(f.Target)
}

func previewRollback(t bot.Target) ([]string, error) {
	ref, err := serviceOf(t)
	if err != nil {
		return nil, err
	}
	if ref.revision != "" {
		return []string{fmt.Sprintf("service %s %s: move 100%% of traffic to the last ready revision before %s, "+
			"then delete that revision", ref.service, ref.where(), ref.revision)}, nil
	}
	return []string{
		fmt.Sprintf("service %s %s: move 100%% of traffic to the last ready revision before the compromised one, "+
			"then delete the compromised revision", ref.service, ref.where()),
		"the finding names no revision: sccbot will take the revision that receives all traffic, or else the " +
			"latest ready one, as compromised, and say which in the result",
	}, nil
}

func previewCancel(t bot.Target) ([]string, error) {
	ref, err := jobOf(t)
	if err != nil {
		return nil, err
	}
	if ref.execution != "" {
		return []string{fmt.Sprintf("job %s %s: cancel execution %s", ref.job, ref.where(), ref.execution)}, nil
	}
	return []string{fmt.Sprintf("job %s %s: cancel every running execution (the finding names none)",
		ref.job, ref.where())}, nil
}
