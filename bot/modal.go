package bot

// Modal is a dialog in neutral form: what a person sees when a button
// opens a form. The Slack adapter renders it as a modal view; like a
// Message, every text in it is literal and escaped by the renderer.
type Modal struct {
	// CallbackID names the form; its submission is dispatched by it.
	CallbackID string
	Title      string
	Submit     string
	Close      string
	// Metadata comes back with the submission. It must hold only opaque
	// ids the server looks up again (never something it would trust).
	Metadata string
	// Blocks are shown above the inputs (context, previews).
	Blocks []Block
	Inputs []Input
}

// InputKind is the kind of a form field.
type InputKind int

// Input kinds.
const (
	InputText      InputKind = iota // one line
	InputMultiline                  // several lines
	InputSelect                     // one of Options
	InputRadio                      // one of Options, all shown
)

// Input is one field of a Modal. Its value comes back in the submission
// under ID.
type Input struct {
	ID       string
	Kind     InputKind
	Label    string
	Hint     string
	Optional bool
	// Initial is the value shown at first (an option's Value for choices).
	Initial string
	// MaxLength bounds text inputs (0: the platform's limit).
	MaxLength int
	Options   []Option
}

// Option is a choice of a select or radio input.
type Option struct {
	Value       string
	Label       string
	Description string
}
