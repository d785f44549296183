// Package handlers is the small core that sccbot's use cases share: the
// request a click, dialog or command becomes and the mux that routes it,
// the card and its single writer, the tracker of work in progress, the
// audit writer, and the action ids. The use cases themselves live in the
// rooms below it (intake, investigate, respond, digest, commands, and the
// /finding language in findingcmd). None of them imports an SDK: each
// declares the small interfaces it needs and the adapters satisfy them.
package handlers
