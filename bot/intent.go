package bot

import (
	"errors"
	"time"
)

// PostIntent is a message sccbot is about to post, or owes. It is written
// before the post, so that a crash between a post and its record cannot
// post the message twice: whoever finds the intent still open looks for a
// message with its Key in the channel since Created before posting again.
// An Owed intent is a card whose finding was already named in a burst
// message because findings arrived faster than the channel's pace; the
// card itself follows at the pace that remains.
type PostIntent struct {
	// Key is the message key (Message.Key): card/NAME, list/GROUP/NAME...
	Key     string
	Channel string
	// Thread is the parent message of a thread reply; empty for a
	// top-level message.
	Thread string
	// Finding is the finding a card is about; empty for listings.
	Finding string
	// Names are the findings a listing names, in order.
	Names []string
	// Owed marks a card deferred behind a burst message.
	Owed bool
	// Created is when the intent was first recorded (the store's clock).
	Created time.Time
	// Holder is the replica that claimed the intent and is posting it;
	// empty for an intent recorded before replicas were named. With
	// several replicas on one database, only the holder posts, and
	// another takes the intent over only once the holder is dead.
	Holder string
}

// CardKey is the message key of a finding's card.
func CardKey(findingName string) string { return "card/" + findingName }

// ErrDeferred is what a poster returns for a card it did not post yet
// because findings arrived faster than the channel's pace: the finding was
// named in a burst message (at the MessageRef returned with the error) and
// its own card is still owed.
var ErrDeferred = errors.New("card deferred: its finding was named in a burst message and its card follows")
