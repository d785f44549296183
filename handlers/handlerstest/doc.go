// Package handlerstest holds the fakes and helpers the use-case rooms'
// tests share: an in-memory store, a chat and a poster that record what
// they were asked, a settable clock, and a reader's view of a message.
package handlerstest
