// Package investigate runs the card's read-only buttons: related
// findings, the finding's Cloud Logging queries, its MITRE ATT&CK entry
// and the playbook checklist, each answered in the card's thread.
package investigate
