package editdist

import "testing"

func TestDistance(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"", "abc", 3},
		{"abc", "", 3},
		{"list", "list", 0},
		{"lsit", "list", 1},       // one swap
		{"chanenl", "channel", 1}, // one swap
		{"lst", "list", 1},        // one insertion
		{"lisst", "list", 1},      // one deletion
		{"lust", "list", 1},       // one substitution
		{"kitten", "sitting", 3},
		{"ca", "abc", 3}, // OSA does not edit a swapped pair again
		{"sévérité", "severite", 3},
	}
	for _, tt := range tests {
		if got := Distance(tt.a, tt.b); got != tt.want {
			t.Errorf("Distance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
		if got := Distance(tt.b, tt.a); got != tt.want {
			t.Errorf("Distance(%q, %q) = %d, want %d (symmetry)", tt.b, tt.a, got, tt.want)
		}
	}
}
