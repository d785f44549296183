package bot

// Verdict is what a responder decided a finding was when they resolved it.
type Verdict string

// Verdicts a resolve may record.
const (
	VerdictTruePositive  Verdict = "true_positive"
	VerdictFalsePositive Verdict = "false_positive"
	VerdictBenign        Verdict = "benign"
	VerdictDuplicate     Verdict = "duplicate"
	VerdictTest          Verdict = "test"
)

// VerdictCount is how many findings of one category and project got one
// verdict in a period.
type VerdictCount struct {
	Category, Project string
	Verdict           Verdict
	Count             int
}
