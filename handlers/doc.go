// Package handlers holds sccbot's use cases: what happens when a finding
// arrives, when a button is clicked, when a command is typed. It imports no
// SDK: each use case declares the small interfaces it needs (a store, a
// poster, a catalogue) and the adapters satisfy them.
package handlers
