package slackfake

import (
	"strings"
)

type inputKey struct{ block, action string }

// inputTypes maps each input element of a view to its element type, so that
// submitted values take the shape Slack gives that type.
func inputTypes(view map[string]any) map[inputKey]string {
	out := map[inputKey]string{}
	blocks, _ := view["blocks"].([]any)
	for _, raw := range blocks {
		b, _ := raw.(map[string]any)
		el, _ := b["element"].(map[string]any)
		if el != nil {
			out[inputKey{str(b["block_id"]), str(el["action_id"])}] = str(el["type"])
		}
	}
	return out
}

// stateValues builds view.state.values from plain strings.
func stateValues(values map[string]map[string]string, types map[inputKey]string) map[string]any {
	out := map[string]any{}
	for block, actions := range values {
		m := map[string]any{}
		for action, v := range actions {
			m[action] = stateValue(or(types[inputKey{block, action}], "plain_text_input"), v)
		}
		out[block] = m
	}
	return out
}

func stateValue(typ, v string) map[string]any {
	out := map[string]any{"type": typ}
	switch typ {
	case "static_select", "external_select", "radio_buttons":
		out["selected_option"] = option(v)
	case "multi_static_select", "multi_external_select", "checkboxes":
		var opts []any
		for _, o := range splitList(v) {
			opts = append(opts, option(o))
		}
		out["selected_options"] = opts
	case "users_select":
		out["selected_user"] = v
	case "multi_users_select":
		out["selected_users"] = splitList(v)
	case "conversations_select":
		out["selected_conversation"] = v
	case "channels_select":
		out["selected_channel"] = v
	case "datepicker":
		out["selected_date"] = v
	case "timepicker":
		out["selected_time"] = v
	default:
		out["value"] = v
	}
	return out
}

func option(v string) map[string]any {
	return map[string]any{"text": plainText(v), "value": v}
}

func splitList(v string) []string {
	if v == "" {
		return []string{}
	}
	return strings.Split(v, ",")
}
