// Package owners finds who owns the project a finding is in, so that the
// "page owner" action knows whom to page. It talks to Essential Contacts and
// Resource Manager.
//
// The sources, in order, and the first that names anyone wins:
//
//  1. the finding's own contacts (finding.contacts), which SCC already
//     resolved from Essential Contacts: no call is made;
//  2. Essential Contacts ComputeContacts for the SECURITY category on the
//     project, which includes contacts inherited from its folders and
//     organization and contacts subscribed to ALL categories;
//  3. the project's IAM policy: members of roles/owner who are users or
//     groups.
//
// A source that fails (most often because sccbot may not read it) is
// skipped with a note that names the role to grant, and the next source is
// tried: paging the IAM owners is better than paging nobody.
//
// Every e-mail address is treated as hostile text: contacts and IAM members
// are chosen by whoever administers the project or its organization. An
// address is kept only if it has the plain shape of an e-mail address, and
// nothing here builds a command, filter or URL from it.
package owners
