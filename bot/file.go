package bot

// FileRef is a file uploaded to chat: its id and a link people can open.
type FileRef struct {
	ID, Permalink string
}
