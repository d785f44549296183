package scc

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sccbot/sccbot/bot"
)

func TestMember(t *testing.T) {
	tests := []struct {
		name, data, key, want string
	}{
		{"first", `{"a":1,"b":2}`, "a", `1`},
		{"last with spaces", " {\n \"a\" : 1 ,\t\"b\" : [1, {\"c\": \"}\"}] }", "b", `[1, {"c": "}"}]`},
		{"object", `{"x":"y","f":{"m":{"k":["v"]}}}`, "f", `{"m":{"k":["v"]}}`},
		{"string with escapes", `{"a":"q\"\\}{","b":true}`, "b", `true`},
		{"key text inside a value is not a key", `{"a":"\"b\":1","b":2}`, "b", `2`},
		{"nested key is not a member", `{"a":{"b":1},"c":3}`, "b", ``},
		{"missing", `{"a":1}`, "b", ``},
		{"not an object", `["a",1]`, "a", ``},
		{"empty object", `{}`, "a", ``},
		{"truncated string", `{"a":"abc`, "a", ``},
		{"truncated object", `{"a":{"b":1`, "a", ``},
		{"truncated after key", `{"a"`, "a", ``},
		{"empty", ``, "a", ``},
		{"escaped key is not matched", `{"\u0061":1}`, "a", ``},
		{"null", `{"a":null}`, "a", `null`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(member([]byte(tt.data), tt.key)); got != tt.want {
				t.Errorf("member(%s, %q) = %s, want %s", tt.data, tt.key, got, tt.want)
			}
		})
	}
}

// TestSidePassIgnoresLookalikes: attacker-controlled keys and values that
// spell mitreAttack do not replace the finding's own block.
func TestSidePassIgnoresLookalikes(t *testing.T) {
	data := `{"finding":{"name":"n",
		"sourceProperties":{"mitreAttack":{"primaryTechniques":["FAKE_1"]}},
		"processes":[{"args":["\"mitreAttack\":{\"primaryTechniques\":[\"FAKE_2\"]}"]}],
		"mitreAttack":{"primaryTechniques":["NATIVE_API","NEW_ONE"]}}}`
	f, err := DecodeNotification([]byte(data))
	if err != nil {
		t.Fatal(err)
	}
	want := []bot.TechniqueRef{{Enum: "NATIVE_API", ID: "T1106"}, {Enum: "NEW_ONE"}}
	if diff := cmp.Diff(want, f.Attack.Techniques); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
