// Package storerow is how sccbot's stores write the domain's values into
// table rows, shared by every store engine so that they store the same
// text and decide the same way: times as fixed-width UTC text to the
// nanosecond, text made valid UTF-8 the way encoding/json does it, findings
// and requests as rows of strings, a group's figures folded in memory, the
// moves a request may make, and exact mean durations. It imports only the
// standard library and the domain, no database driver.
package storerow
