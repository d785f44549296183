// Package intake is what happens when a finding arrives: it is routed to a
// channel, checked against silences, grouped with its storm or carded on
// its own, and its later changes are told in the card's thread. The
// lister and the owed-card drainer finish what a storm deferred.
package intake
