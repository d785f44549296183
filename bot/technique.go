package bot

// Technique is an ATT&CK technique or sub-technique, as the catalogue
// describes it.
type Technique struct {
	ID          string
	Name        string
	ParentID    string
	ParentName  string
	Tactics     []string
	Platforms   []string
	Description string
	URL         string
	Mitigations []Mitigation
}

// FullName is "Parent: Name" for a sub-technique and Name otherwise, the way
// ATT&CK itself writes it.
func (t Technique) FullName() string {
	if t.ParentName != "" {
		return t.ParentName + ": " + t.Name
	}
	return t.Name
}

// Mitigation is an ATT&CK mitigation (course of action).
type Mitigation struct {
	ID   string
	Name string
}

// Tactic is an ATT&CK tactic.
type Tactic struct {
	ID          string
	Name        string
	ShortName   string
	URL         string
	Description string
}
