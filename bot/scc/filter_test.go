package scc

import "testing"

func TestQuoteFilterValue(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", `""`},
		{"demo-prod", `"demo-prod"`},
		{`a"b`, `"a\"b"`},
		{`a\b`, `"a\\b"`},
		{`\"`, `"\\\""`},
		{"x\ny\r\nz", `"xyz"`},
		{`demo" OR resource.type="x`, `"demo\" OR resource.type=\"x"`},
		{"bad\xffutf8", "\"bad\uFFFDutf8\""},
		{"2026-11-20T10:15:30.123Z", `"2026-11-20T10:15:30.123Z"`},
	}
	for _, tt := range tests {
		if got := QuoteFilterValue(tt.in); got != tt.want {
			t.Errorf("QuoteFilterValue(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}
