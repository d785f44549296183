// Package editdist measures how far apart two words are, for the "did you
// mean" hints of the configuration loader and the /finding command. It
// imports only the standard library.
package editdist

// Distance is the optimal string alignment distance between a and b, in
// runes: Levenshtein's insertions, deletions and substitutions, plus a
// swap of two neighbours as one edit, which is the commonest typo
// ("lsit", "chanenl").
func Distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	older, prev, cur := make([]int, len(rb)+1), make([]int, len(rb)+1), make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], older[j-2]+1)
			}
		}
		older, prev, cur = prev, cur, older
	}
	return prev[len(rb)]
}
