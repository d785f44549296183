// Package respond is the response side of a card: acknowledge, the
// request-and-approve flow for containment, paging, mute and resolve,
// their dialogs and thread messages, evidence, and silences made from a
// card.
package respond
